import { listUserApiTokens } from '@/lib/auth/users.ts';
import { intParam, route } from '@/lib/http/route.ts';

/** An admin lists a user's live API tokens (name, prefix, created, last used; never the secret). */
export const GET = route<{ id: string }>({ role: 'admin' }, async ({ db, params }) => ({
  tokens: await listUserApiTokens(db, intParam(params.id, 'user id')),
}));
