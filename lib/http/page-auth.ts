import { cookies, headers } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { getDb } from '../db/client.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { userForSession, type AuthUser } from '../auth/users.ts';
import { SESSION_COOKIE } from './route.ts';
import { loginPath, parsePageId } from './page-params.ts';

/**
 * For server components: the logged-in user, or a redirect to the login page that keeps where the
 * visitor was going (`/login?next=/phases/3`; the path comes from proxy.ts and is checked again at login).
 */
export async function currentUser(): Promise<AuthUser> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const user = token ? await userForSession(await getDb(), token) : null;
  if (!user) redirect(loginPath((await headers()).get('x-distillery-path')));
  return user;
}

/** The user when their role suffices, else null (the page renders its 403). */
export async function userWithRole(role: Role): Promise<{ user: AuthUser; allowed: boolean }> {
  const user = await currentUser();
  return { user, allowed: hasRole(user.role, role) };
}

/** A page-path id, or the 404 page for `abc`, `0`, `1e3` or past the 32-bit id range (never a 500). */
export function pageIdOr404(raw: string): number {
  const id = parsePageId(raw);
  if (id == null) notFound();
  return id;
}
