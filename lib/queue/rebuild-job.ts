/**
 * Queue rebuilds as worker jobs. Ranking a large pool is CPU work (362k items blocked the web
 * server's event loop for 3.8 s, 1M for ~16 s), so the review page's "Rebuild queue" enqueues a
 * `queue.rebuild` job that a worker runs; the console only waits for it, asynchronously.
 */
import { audit, type Actor } from '../audit.ts';
import { getDb, type Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { enqueue, getJob, isFinal, parseJson, type Job } from '../jobs/queue.ts';
import { rebuildQueue, type RebuildResult } from './rebuild.ts';

export const QUEUE_REBUILD_JOB = 'queue.rebuild';

export interface QueueRebuildPayload {
  phaseId: number;
}

/**
 * One rebuild per phase at a time: a second click while one is queued or running returns that
 * job. The request is audited here (the job's rebuild itself writes no row).
 */
export async function enqueueQueueRebuild(db: Db, phaseId: number, by?: Actor): Promise<Job> {
  const job = await enqueue(db, { type: QUEUE_REBUILD_JOB, payload: { phaseId } satisfies QueueRebuildPayload, dedupeKey: `queue-rebuild:${phaseId}`, priority: 5 });
  await audit(db, by, 'queue.rebuild', `phase:${phaseId}`, { jobId: job.id });
  return job;
}

/** The worker's handler. */
export async function queueRebuildJob(job: { payload: QueueRebuildPayload }): Promise<RebuildResult> {
  const phaseId = Number(job.payload?.phaseId);
  if (!Number.isInteger(phaseId) || phaseId <= 0) throw badRequest('queue.rebuild needs payload.phaseId');
  return rebuildQueue(await getDb(), phaseId);
}

/** Polls the job (timers, not a busy loop) until it ends or `timeoutMs` passes; the job as last seen. */
export async function waitForJob(db: Db, id: number, timeoutMs: number, pollMs = 200): Promise<Job | null> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(db, id);
    if (!job || isFinal(job.status) || Date.now() >= until) return job;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export const jobResult = (job: Job) => parseJson<RebuildResult>(job.result);
