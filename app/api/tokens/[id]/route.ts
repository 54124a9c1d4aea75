import { revokeApiToken } from '@/lib/auth/users.ts';
import { intParam, route } from '@/lib/http/route.ts';

export const DELETE = route<{ id: string }>({ role: 'annotator' }, async ({ db, user, params }) => {
  await revokeApiToken(db, user.id, intParam(params.id, 'token id'));
});
