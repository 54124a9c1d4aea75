import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getDb } from '../db/client.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { userForSession, type AuthUser } from '../auth/users.ts';
import { SESSION_COOKIE } from './route.ts';

/** For server components: the logged-in user, or a redirect to the login page. */
export async function currentUser(): Promise<AuthUser> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const user = token ? await userForSession(await getDb(), token) : null;
  if (!user) redirect('/login');
  return user;
}

/** The user when their role suffices, else null (the page renders its 403). */
export async function userWithRole(role: Role): Promise<{ user: AuthUser; allowed: boolean }> {
  const user = await currentUser();
  return { user, allowed: hasRole(user.role, role) };
}
