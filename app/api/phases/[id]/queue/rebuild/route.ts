import { DomainError } from '@/lib/errors.ts';
import { intParam, route } from '@/lib/http/route.ts';
import { queuePhase } from '@/lib/queue/annotate.ts';
import { awaitRebuild, enqueueQueueRebuild, rebuildWaitSeconds } from '@/lib/queue/rebuild-job.ts';

/**
 * Rebuilds the phase's queue in a worker (a `queue.rebuild` job), never in this request: ranking
 * a large pool would block the server. Waits for the job up to `?wait=` seconds (default 60,
 * 0 = do not wait): 200 `{ rebuilt, job }` when it finished, 202 `{ job }` while it is still
 * queued or running (no worker running, or a large pool).
 */
export const POST = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = (await queuePhase(db, intParam(params.id, 'phase id'))).id;
  const queued = await enqueueQueueRebuild(db, phaseId, user.id);
  const { job, rebuilt } = await awaitRebuild(db, queued, rebuildWaitSeconds(req.nextUrl.searchParams.get('wait'), 60));
  const summary = { id: job.id, type: job.type, status: job.status, error: job.error };
  if (rebuilt) return { rebuilt, job: summary };
  if (job.status === 'failed' || job.status === 'cancelled') throw new DomainError(`the queue rebuild ${job.status}: ${job.error ?? 'no reason given'}`, 500, 'job_failed', { job: summary });
  return Response.json({ job: summary }, { status: 202 });
});
