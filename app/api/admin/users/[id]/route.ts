import { updateUser } from '@/lib/auth/users.ts';
import { intParam, jsonBody, route } from '@/lib/http/route.ts';

export const PATCH = route<{ id: string }>({ role: 'admin' }, async ({ req, db, user, params }) => {
  const body = (await jsonBody(req)) as Record<string, unknown>;
  const updated = await updateUser(db, intParam(params.id, 'user id'), body, user);
  return { user: updated };
});
