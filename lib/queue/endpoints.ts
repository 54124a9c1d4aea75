/**
 * The annotator's hot endpoints (the phase, its next batch, an answer), served by Next's routes and by the console server's fast path
 * alike (lib/http/endpoint.ts, lib/http/fast.ts).
 */
import { endpoint } from '../http/endpoint.ts';
import { intParam } from '../http/route.ts';
import { getPhase } from '../tasks/tasks.ts';
import { nextItems, submit } from './annotate.ts';
import { queueSettings } from './settings.ts';
import { submitSchema } from './schemas.ts';

// GET /api/phases/:id – the phase with its queue settings and the state of its queue (the annotator's page reads it on every load)
export const phaseEndpoint = endpoint({ role: 'annotator' }, async ({ db, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return { phase: await getPhase(db, phaseId), queue: await queueSettings(db, phaseId) };
});

// GET /api/phases/:id/queue/next?limit= – the caller's held items, topped up with new leases
export const nextBatchEndpoint = endpoint({ role: 'annotator' }, async ({ db, user, params, query }) => {
  const limit = query.get('limit');
  return nextItems(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, limit: limit ? intParam(limit, 'limit') : undefined });
});

// POST /api/phases/:id/annotations – answer an item (label, skip, flag with an optional note); idempotent by clientId
export const submitEndpoint = endpoint({ role: 'annotator' }, async ({ db, user, params, body }) => {
  const b = submitSchema.parse(await body());
  return submit(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, ...b });
});
