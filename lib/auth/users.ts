import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { conflict, notFound, unauthorized, badRequest } from '../errors.ts';
import { hashPassword, verifyPassword, MIN_PASSWORD_LENGTH } from './password.ts';
import { ROLES, type Role } from './roles.ts';
import { hashSecret, newSecret } from './tokens.ts';
import { beginLoginAttempt } from './throttle.ts';
import { audit, type Actor } from '../audit.ts';
import { authCache } from './auth-cache.ts';

/**
 * A real scrypt hash of a random password, made once: an unknown email is checked against it so
 * that it costs the same scrypt time as a wrong password (no account enumeration by timing).
 */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(newSecret('dummy')));

/** One scrypt at a time for logins: a burst of logins queues here instead of taking both cores from every other request. */
let loginChain: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = loginChain.then(fn, fn);
  loginChain = run.catch(() => {});
  return run;
}
import { ALL_SCOPES, formatScopes, parseScopes, type Scope } from './scopes.ts';

export interface AuthUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** Set when the caller authenticated with an API token: what that token may do (see scopes.ts). */
  scopes?: Scope[];
}

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export const newUserSchema = z.object({
  email: z.string().trim().toLowerCase().email('email is not a valid address'),
  name: z.string().trim().min(1, 'name is required').max(100),
  role: z.enum(ROLES),
  password: z.string().min(MIN_PASSWORD_LENGTH, `password needs at least ${MIN_PASSWORD_LENGTH} characters`),
});
export type NewUser = z.input<typeof newUserSchema>;

const publicUser = (u: { id: number; email: string; name: string; role: string }): AuthUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role as Role,
});

export async function createUser(db: Db, input: NewUser, by: Actor = null): Promise<AuthUser> {
  const data = newUserSchema.parse(input);
  const existing = await db.user.findUnique({ where: { email: data.email } });
  if (existing) throw conflict(`a user with email ${data.email} already exists`);
  const user = await db.user.create({
    data: { email: data.email, name: data.name, role: data.role, passwordHash: await hashPassword(data.password) },
  });
  await audit(db, by, 'user.create', `user:${user.id}`, { email: user.email, role: user.role });
  return publicUser(user);
}

/** Creates the user, or resets role/password of an existing one (setup and demo accounts). */
export async function ensureUser(db: Db, input: NewUser): Promise<AuthUser> {
  const data = newUserSchema.parse(input);
  const existing = await db.user.findUnique({ where: { email: data.email } });
  if (!existing) return createUser(db, data);
  const ok = await verifyPassword(data.password, existing.passwordHash);
  const user = await db.user.update({
    where: { id: existing.id },
    data: { role: data.role, name: data.name, disabled: false, ...(ok ? {} : { passwordHash: await hashPassword(data.password) }) },
  });
  authCache().clear(); // the role may have changed
  return publicUser(user);
}

export async function listUsers(db: Db) {
  const users = await db.user.findMany({ orderBy: { id: 'asc' } });
  return users.map((u) => ({ ...publicUser(u), disabled: u.disabled, createdAt: u.createdAt }));
}

export const userUpdateSchema = z.object({
  role: z.enum(ROLES).optional(),
  name: z.string().trim().min(1).max(100).optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(MIN_PASSWORD_LENGTH).optional(),
});

export async function updateUser(db: Db, id: number, input: z.input<typeof userUpdateSchema>, actor?: AuthUser) {
  const data = userUpdateSchema.parse(input);
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw notFound(`user ${id}`);
  if (actor && actor.id === id && (data.disabled || (data.role && data.role !== 'admin'))) {
    throw badRequest('you cannot demote or disable yourself; ask another admin');
  }
  const updated = await db.user.update({
    where: { id },
    data: {
      role: data.role,
      name: data.name,
      disabled: data.disabled,
      passwordHash: data.password ? await hashPassword(data.password) : undefined,
    },
  });
  if (data.disabled || data.password) {
    // A reset password or a disabled account ends every way in: sessions and API tokens.
    await db.session.deleteMany({ where: { userId: id } });
    await db.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } });
  }
  // A new role, a disable or a reset holds from the next request on (cached callers included).
  authCache().clear();
  const { password: _secret, ...logged } = input as Record<string, unknown>;
  await audit(db, actor?.id ?? null, 'user.update', `user:${id}`, { ...logged, passwordChanged: 'password' in input });
  return publicUser(updated);
}

export async function login(
  db: Db,
  email: string,
  password: string,
  from: { address?: string | null } = {},
): Promise<{ user: AuthUser; token: string; expiresAt: Date }> {
  const normalized = email.trim().toLowerCase();
  // Throttled per account and per address (429 before any password is checked).
  const attempt = beginLoginAttempt(normalized, from.address ?? null);
  const user = await db.user.findUnique({ where: { email: normalized } });
  // Same message and the same scrypt cost for unknown email and wrong password: no account enumeration.
  const stored = user?.passwordHash ?? (await dummyPasswordHash());
  const matches = await oneAtATime(() => verifyPassword(password, stored));
  if (!user || user.disabled || !matches) {
    await audit(db, user?.id ?? null, 'auth.login_failed', `email:${normalized.slice(0, 200)}`, {
      address: from.address ?? null,
      reason: !user ? 'unknown email' : user.disabled ? 'disabled' : 'wrong password',
    });
    throw unauthorized('wrong email or password');
  }
  attempt.succeeded();
  const token = newSecret('ds');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { tokenHash: hashSecret(token), userId: user.id, expiresAt } });
  return { user: publicUser(user), token, expiresAt };
}

export async function logout(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashSecret(token) } });
  authCache().clear();
}

export async function userForSession(db: Db, token: string): Promise<AuthUser | null> {
  const hash = hashSecret(token);
  const cache = authCache();
  const cached = cache.get(`session:${hash}`);
  if (cached) return cached;
  const ticket = cache.ticket();
  const session = await db.session.findUnique({ where: { tokenHash: hash }, include: { user: true } });
  if (!session || session.expiresAt.getTime() < Date.now() || session.user.disabled) return null;
  const user = publicUser(session.user);
  cache.set(`session:${hash}`, user, ticket, session.expiresAt.getTime() - Date.now());
  return user;
}

/** A new API token for `userId` with `scopes`, created by `by` (the user themself in the console, null at the CLI). */
export async function createApiToken(db: Db, userId: number, name: string, scopes: readonly Scope[] = ALL_SCOPES, by: Actor = null) {
  const token = newSecret('dt');
  const row = await db.apiToken.create({
    data: { name: name.trim() || 'token', tokenHash: hashSecret(token), prefix: token.slice(0, 10), userId, scopes: formatScopes(scopes) },
  });
  await audit(db, by, 'token.create', `token:${row.id}`, { name: row.name, scopes: parseScopes(row.scopes) });
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: parseScopes(row.scopes), token };
}

export async function listApiTokens(db: Db, userId: number) {
  return db.apiToken.findMany({
    where: { userId, revokedAt: null },
    select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true },
    orderBy: { id: 'asc' },
  });
}

/** An admin's view of another user's live tokens (never the secrets: only their prefixes). */
export async function listUserApiTokens(db: Db, userId: number) {
  if (!(await db.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw notFound(`user ${userId}`);
  return listApiTokens(db, userId);
}

export async function revokeApiToken(db: Db, userId: number, id: number) {
  const { count } = await db.apiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (!count) throw notFound(`token ${id}`);
  authCache().clear();
  await audit(db, userId, 'token.revoke', `token:${id}`);
}

/** The token's user and scopes; cached for a few seconds (auth-cache.ts says how revocation stays correct). */
export async function userForApiToken(db: Db, token: string): Promise<AuthUser | null> {
  const hash = hashSecret(token);
  const cache = authCache();
  const cached = cache.get(`token:${hash}`);
  if (cached) return cached;
  const ticket = cache.ticket();
  const row = await db.apiToken.findUnique({ where: { tokenHash: hash }, include: { user: true } });
  if (!row || row.revokedAt || row.user.disabled) return null;
  // lastUsedAt is informational; at most one write a minute per token.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    // Not awaited: a read-only request must not wait on this write (a locked SQLite file).
    void db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  const user = { ...publicUser(row.user), scopes: parseScopes(row.scopes) };
  cache.set(`token:${hash}`, user, ticket);
  return user;
}
