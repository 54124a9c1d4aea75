import { endpointRoute, intParam, jsonBody, route } from '@/lib/http/route.ts';
import { phaseEndpoint } from '@/lib/queue/endpoints.ts';
import { updateQueueSettings } from '@/lib/queue/settings.ts';
import { rebuildWaitSeconds } from '@/lib/queue/rebuild-job.ts';

/**
 * Changes the phase's queue settings. A ranking change re-ranks the queue in a worker (a
 * `queue.rebuild` job, never in this request); the answer waits for it up to `?wait=` seconds
 * (default 30, 0 = do not wait) and carries `rebuilt` (its result) once it finished, and `rebuildJob`.
 */
export const PATCH = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return updateQueueSettings(db, phaseId, await jsonBody(req), user.id, { waitS: rebuildWaitSeconds(req.nextUrl.searchParams.get('wait'), 30) });
});

/** The phase with its queue settings and the state of its queue (also on the console server's fast path). */
export const GET = endpointRoute(phaseEndpoint);
