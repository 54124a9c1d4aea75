import { createUser, listUsers, type NewUser } from '@/lib/auth/users.ts';
import { jsonBody, route } from '@/lib/http/route.ts';

export const GET = route({ role: 'admin' }, async ({ db }) => ({ users: await listUsers(db) }));

export const POST = route({ role: 'admin' }, async ({ req, db, user }) => {
  const created = await createUser(db, (await jsonBody(req)) as NewUser, user.id);
  return Response.json({ user: created }, { status: 201 });
});
