import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { queueSettings, updateQueueSettings } from '@/lib/queue/settings.ts';
import { rebuildWaitSeconds } from '@/lib/queue/rebuild-job.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';

/**
 * Changes the phase's queue settings. A ranking change re-ranks the queue in a worker (a
 * `queue.rebuild` job, never in this request); the answer waits for it up to `?wait=` seconds
 * (default 30, 0 = do not wait) and carries `rebuilt` (its result) once it finished, and `rebuildJob`.
 */
export const PATCH = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return updateQueueSettings(db, phaseId, await jsonBody(req), user.id, { waitS: rebuildWaitSeconds(req.nextUrl.searchParams.get('wait'), 30) });
});

/** The phase with its queue settings and the state of its queue. */
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return { phase: await getPhase(db, phaseId), queue: await queueSettings(db, phaseId) };
});
