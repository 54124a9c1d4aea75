import { intParam, route } from '@/lib/http/route.ts';
import { queueYield } from '@/lib/queue/yield.ts';

// GET /api/phases/:id/yield – how often labelled items overruled the teacher, queue picks vs random audit picks, per round
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => queueYield(db, intParam(params.id, 'phase id')));
