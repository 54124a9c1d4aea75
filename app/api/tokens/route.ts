import { createApiToken, listApiTokens } from '@/lib/auth/users.ts';
import { jsonBody, route } from '@/lib/http/route.ts';
import { tokenCreateSchema } from '@/lib/auth/scopes.ts';

/** Every user manages their own API tokens; the secret is shown once, at creation. */
export const GET = route({ role: 'annotator' }, async ({ db, user }) => ({ tokens: await listApiTokens(db, user.id) }));

export const POST = route({ role: 'annotator' }, async ({ req, db, user }) => {
  const { name, scopes } = tokenCreateSchema.parse(await jsonBody(req));
  const token = await createApiToken(db, user.id, name, scopes, user.id);
  return Response.json({ token }, { status: 201 });
});
