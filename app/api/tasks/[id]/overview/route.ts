import { intParam, route } from '@/lib/http/route.ts';
import { queryOf, tzQuerySchema } from '@/lib/queue/schemas.ts';
import { taskOverview } from '@/lib/tasks/overview.ts';

// GET /api/tasks/:idOrSlug/overview?tzOffset= – each phase's latest round, deployed model, queue size and labels today (your time zone)
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, params }) => {
  const { tzOffset } = tzQuerySchema.parse(queryOf(req.nextUrl));
  return taskOverview(db, /^\d+$/.test(params.id) ? intParam(params.id, 'task id') : params.id, { tzOffset });
});
