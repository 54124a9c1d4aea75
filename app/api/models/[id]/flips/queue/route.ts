import { intParam, route } from '@/lib/http/route.ts';
import { sendFlipsToQueue } from '@/lib/models/flips.ts';

// POST /api/models/:id/flips/queue – the unlabelled flips go to the front of the annotation queue
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ db, user, params }) => sendFlipsToQueue(db, { modelId: intParam(params.id, 'model id'), actor: user }));
