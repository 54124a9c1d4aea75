import { audit } from '@/lib/audit.ts';
import { revokeApiToken } from '@/lib/auth/users.ts';
import { intParam, route } from '@/lib/http/route.ts';

export const DELETE = route<{ id: string }>({ role: 'annotator' }, async ({ db, user, params }) => {
  const id = intParam(params.id, 'token id');
  await revokeApiToken(db, user.id, id);
  await audit(db, user.id, 'token.revoke', `token:${id}`);
});
