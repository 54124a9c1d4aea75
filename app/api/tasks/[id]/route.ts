import { intParam, route } from '@/lib/http/route.ts';
import { getTask } from '@/lib/tasks/tasks.ts';

/** A task by numeric id or slug. */
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => ({
  task: await getTask(db, /^\d+$/.test(params.id) ? intParam(params.id, 'task id') : params.id),
}));
