import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { queueSettings, updateQueueSettings } from '@/lib/queue/settings.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';

/** A lead sets the phase's overlap k, queue strategy and class quotas. */
export const PATCH = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return updateQueueSettings(db, phaseId, await jsonBody(req), user.id);
});

/** The phase with its queue settings and the state of its queue. */
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return { phase: await getPhase(db, phaseId), queue: await queueSettings(db, phaseId) };
});
