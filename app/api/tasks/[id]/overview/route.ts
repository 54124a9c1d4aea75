import { intParam, route } from '@/lib/http/route.ts';
import { taskOverview } from '@/lib/tasks/overview.ts';

// GET /api/tasks/:idOrSlug/overview – each phase's latest round, deployed model, queue size and labels today
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => taskOverview(db, /^\d+$/.test(params.id) ? intParam(params.id, 'task id') : params.id));
