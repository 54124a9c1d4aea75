import { randomBytes } from 'node:crypto';
import { createApiToken, createUser, listUsers, updateUser } from '../../auth/users.ts';
import { isRole } from '../../auth/roles.ts';
import { ALL_SCOPES, isScope, type Scope } from '../../auth/scopes.ts';
import { str, UsageError } from '../args.ts';
import { table, userByEmail, type CliContext, type Command } from '../context.ts';

/** `users`: every user with role. */
async function users({ db, print }: CliContext): Promise<number> {
  const users = await listUsers(db);
  print(users, () => table(users.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, disabled: u.disabled ? 'yes' : '' }))));
  return 0;
}

/** `user create`, `user set-role`. */
async function user({ db, args, sub, print }: CliContext): Promise<number> {
  if (sub === 'create') {
    const generated = args.flags.password === undefined;
    const password = generated ? randomBytes(9).toString('base64url') : str(args, 'password')!;
    const user = await createUser(db, { email: str(args, 'email')!, name: str(args, 'name')!, role: str(args, 'role')! as never, password });
    print({ user, ...(generated ? { password } : {}) }, () => `created ${user.role} ${user.email} (id ${user.id})${generated ? `, password: ${password}` : ''}`);
    return 0;
  }
  if (sub === 'set-role') {
    const role = str(args, 'role')!;
    if (!isRole(role)) throw new UsageError('--role is annotator, lead or admin');
    const u = await userByEmail(db, str(args, 'email')!);
    const user = await updateUser(db, u.id, { role });
    print({ user }, () => `${user.email} is now ${user.role}`);
    return 0;
  }
  throw new UsageError(`unknown: user ${sub ?? ''}`);
}

/** `token create --email E [--scopes read,annotate,predict,admin]`: prints a new API token for that user. */
async function token({ db, args, sub, print }: CliContext): Promise<number> {
  if (sub !== 'create') throw new UsageError(`unknown: token ${sub ?? ''}`);
  const u = await userByEmail(db, str(args, 'email')!);
  const scopes = str(args, 'scopes', false)?.split(',').map((x) => x.trim());
  if (scopes && !scopes.every(isScope)) throw new UsageError(`--scopes: known scopes are ${ALL_SCOPES.join(', ')}`);
  const token = await createApiToken(db, u.id, str(args, 'name', false) ?? 'cli', scopes as Scope[] | undefined);
  print(token, () => token.token);
  return 0;
}

export const commands: Record<string, Command> = { users, user, token };
