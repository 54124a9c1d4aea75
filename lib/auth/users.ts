import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { conflict, notFound, unauthorized, badRequest } from '../errors.ts';
import { hashPassword, verifyPassword, MIN_PASSWORD_LENGTH } from './password.ts';
import { ROLES, type Role } from './roles.ts';
import { hashSecret, newSecret } from './tokens.ts';
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

export async function createUser(db: Db, input: NewUser): Promise<AuthUser> {
  const data = newUserSchema.parse(input);
  const existing = await db.user.findUnique({ where: { email: data.email } });
  if (existing) throw conflict(`a user with email ${data.email} already exists`);
  const user = await db.user.create({
    data: { email: data.email, name: data.name, role: data.role, passwordHash: await hashPassword(data.password) },
  });
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
  if (data.disabled || data.password) await db.session.deleteMany({ where: { userId: id } });
  return publicUser(updated);
}

export async function login(db: Db, email: string, password: string): Promise<{ user: AuthUser; token: string; expiresAt: Date }> {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  // Same message for unknown email and wrong password: no account enumeration.
  if (!user || user.disabled || !(await verifyPassword(password, user.passwordHash))) {
    throw unauthorized('wrong email or password');
  }
  const token = newSecret('ds');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { tokenHash: hashSecret(token), userId: user.id, expiresAt } });
  return { user: publicUser(user), token, expiresAt };
}

export async function logout(db: Db, token: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash: hashSecret(token) } });
}

export async function userForSession(db: Db, token: string): Promise<AuthUser | null> {
  const session = await db.session.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: true } });
  if (!session || session.expiresAt.getTime() < Date.now() || session.user.disabled) return null;
  return publicUser(session.user);
}

export async function createApiToken(db: Db, userId: number, name: string, scopes: readonly Scope[] = ALL_SCOPES) {
  const token = newSecret('dt');
  const row = await db.apiToken.create({
    data: { name: name.trim() || 'token', tokenHash: hashSecret(token), prefix: token.slice(0, 10), userId, scopes: formatScopes(scopes) },
  });
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: parseScopes(row.scopes), token };
}

export async function listApiTokens(db: Db, userId: number) {
  return db.apiToken.findMany({
    where: { userId, revokedAt: null },
    select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true },
    orderBy: { id: 'asc' },
  });
}

export async function revokeApiToken(db: Db, userId: number, id: number) {
  const { count } = await db.apiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (!count) throw notFound(`token ${id}`);
}

export async function userForApiToken(db: Db, token: string): Promise<AuthUser | null> {
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: true } });
  if (!row || row.revokedAt || row.user.disabled) return null;
  // lastUsedAt is informational; at most one write a minute per token.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  return { ...publicUser(row.user), scopes: parseScopes(row.scopes) };
}
