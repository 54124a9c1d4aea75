/**
 * Queue rebuilds as worker jobs. Ranking a large pool is CPU work (362k items blocked the web
 * server's event loop for 3.8 s, 1M for ~16 s), so the review page's "Rebuild queue" enqueues a
 * `queue.rebuild` job that a worker runs; the console only waits for it, asynchronously.
 */
import { audit, type Actor } from '../audit.ts';
import { getDb, type Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { enqueue, getJob, isFinal, parseJson, releaseDedupeKey, type Job } from '../jobs/queue.ts';
import { rebuildQueue, type RebuildResult } from './rebuild.ts';

export const QUEUE_REBUILD_JOB = 'queue.rebuild';

export interface QueueRebuildPayload {
  phaseId: number;
}

export const rebuildDedupeKey = (phaseId: number) => `queue-rebuild:${phaseId}`;

/**
 * Ahead of training jobs (the demo's teacher is 10, rounds 0): a rebuild takes seconds and is what
 * lets people start labelling, so it should not wait behind a 20-minute teacher run on a one-worker box.
 */
export const REBUILD_PRIORITY = 20;

/**
 * At most one rebuild per phase waits: a second click while one is queued returns that job. The
 * request is audited here when a person asked (the job's rebuild itself writes no row); an
 * import's own rebuild is part of the import's audit row.
 */
export async function enqueueQueueRebuild(db: Db, phaseId: number, by?: Actor, opts: { audit?: boolean } = {}): Promise<Job> {
  const job = await enqueue(db, { type: QUEUE_REBUILD_JOB, payload: { phaseId } satisfies QueueRebuildPayload, dedupeKey: rebuildDedupeKey(phaseId), priority: REBUILD_PRIORITY });
  if (opts.audit !== false) await audit(db, by, 'queue.rebuild', `phase:${phaseId}`, { jobId: job.id });
  return job;
}

/**
 * The worker's handler. The job gives up its dedupe key as it starts: it reads the pool once, so a
 * rebuild asked for while it runs (an import just landed) must be a new job, which waits for this
 * one (rebuildQueue's per-phase lock) and then reads the pool with the new items.
 */
export async function queueRebuildJob(job: { id?: number; payload: QueueRebuildPayload }): Promise<RebuildResult> {
  const phaseId = Number(job.payload?.phaseId);
  if (!Number.isInteger(phaseId) || phaseId <= 0) throw badRequest('queue.rebuild needs payload.phaseId');
  const db = await getDb();
  if (job.id) await releaseDedupeKey(db, job.id);
  return rebuildQueue(db, phaseId);
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

/** How long a request waits for its rebuild job: `?wait=` seconds (0 = do not wait, at most 300), else `fallback`. */
export function rebuildWaitSeconds(raw: string | null, fallback: number): number {
  if (raw === null) return fallback;
  if (!/^\d{1,4}$/.test(raw)) throw badRequest(`wait must be a whole number of seconds, got "${raw.slice(0, 40)}"`);
  return Math.min(300, Number(raw));
}

/**
 * Waits (polling, never blocking) up to `waitS` seconds for a rebuild job: `rebuilt` is its result
 * when it succeeded in time; `job` is the job as last seen.
 */
export async function awaitRebuild(db: Db, queued: Job, waitS: number): Promise<{ job: Job; rebuilt: RebuildResult | null }> {
  const job = (waitS > 0 ? await waitForJob(db, queued.id, waitS * 1000) : null) ?? queued;
  return { job, rebuilt: job.status === 'succeeded' ? jobResult(job) : null };
}
