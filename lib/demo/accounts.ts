import type { Db } from '../db/client.ts';
import { ensureUser, type AuthUser } from '../auth/users.ts';
import type { Role } from '../auth/roles.ts';

/** The demo's accounts; passwords can be overridden with DISTILLERY_DEMO_<ROLE>_PASSWORD. */
export function demoAccounts(env: NodeJS.ProcessEnv = process.env): { role: Role; name: string; email: string; password: string }[] {
  return (['admin', 'lead', 'annotator'] as const).map((role) => ({
    role,
    name: `Demo ${role}`,
    email: `${role}@distillery.local`,
    password: env[`DISTILLERY_DEMO_${role.toUpperCase()}_PASSWORD`] || `${role}-demo-pass`,
  }));
}

export async function ensureDemoAccounts(db: Db): Promise<AuthUser[]> {
  const out: AuthUser[] = [];
  for (const a of demoAccounts()) out.push(await ensureUser(db, a));
  return out;
}

/** The first admin of a real installation: DISTILLERY_ADMIN_EMAIL + DISTILLERY_ADMIN_PASSWORD. */
export async function ensureAdminFromEnv(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<AuthUser | null> {
  const email = env.DISTILLERY_ADMIN_EMAIL;
  const password = env.DISTILLERY_ADMIN_PASSWORD;
  if (!email || !password) return null;
  return ensureUser(db, { email, password, role: 'admin', name: env.DISTILLERY_ADMIN_NAME || 'Admin' });
}
