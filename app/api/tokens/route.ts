import { z } from 'zod';
import { audit } from '@/lib/audit.ts';
import { createApiToken, listApiTokens } from '@/lib/auth/users.ts';
import { jsonBody, route } from '@/lib/http/route.ts';
import { ALL_SCOPES } from '@/lib/auth/scopes.ts';

/** Every user manages their own API tokens; the secret is shown once, at creation. */
export const GET = route({ role: 'annotator' }, async ({ db, user }) => ({ tokens: await listApiTokens(db, user.id) }));

export const POST = route({ role: 'annotator' }, async ({ req, db, user }) => {
  const { name, scopes } = z.object({ name: z.string().trim().min(1).max(100), scopes: z.array(z.enum(ALL_SCOPES)).min(1).optional() }).parse(await jsonBody(req));
  const token = await createApiToken(db, user.id, name, scopes);
  await audit(db, user.id, 'token.create', `token:${token.id}`, { name, scopes: token.scopes });
  return Response.json({ token }, { status: 201 });
});
