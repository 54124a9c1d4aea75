import { audit } from '@/lib/audit.ts';
import { revokeApiToken } from '@/lib/auth/users.ts';
import { intParam, route } from '@/lib/http/route.ts';

/** An admin revokes one of a user's API tokens. */
export const DELETE = route<{ id: string; tokenId: string }>({ role: 'admin' }, async ({ db, user, params }) => {
  const userId = intParam(params.id, 'user id');
  const id = intParam(params.tokenId, 'token id');
  await revokeApiToken(db, userId, id);
  await audit(db, user.id, 'token.revoke', `token:${id}`, { userId, byAdmin: true });
});
