import { jsonBody, route } from '@/lib/http/route.ts';
import { createTask, getTask, listTasks } from '@/lib/tasks/tasks.ts';
import type { TaskSpec } from '@/lib/tasks/spec.ts';

export const GET = route({ role: 'annotator' }, async ({ db }) => ({ tasks: await listTasks(db) }));

export const POST = route({ role: 'lead' }, async ({ req, db, user }) => {
  const task = await createTask(db, (await jsonBody(req)) as TaskSpec, user.id);
  return Response.json({ task: await getTask(db, task.id) }, { status: 201 });
});
