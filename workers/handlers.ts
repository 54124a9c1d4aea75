/**
 * The job types this worker knows, by `Job.type`. The training ('round') and 'import' handlers
 * register here next to the diagnostic one.
 */
import { badRequest } from '../lib/errors.ts';
import { sleep, type JobHandler } from './runner.ts';
import { roundJob } from '../lib/rounds/handler.ts';
import { ROUND_JOB } from '../lib/rounds/rounds.ts';
import { DEMO_TEACHER_JOB, demoTeacherJob } from '../lib/demo/teacher-job.ts';
import { QUEUE_REBUILD_JOB, queueRebuildJob } from '../lib/queue/rebuild-job.ts';

export interface SleepPayload {
  /** Total time to spend. */
  ms: number;
  /** Progress reports along the way (default 10). */
  steps?: number;
}

/**
 * Diagnostic / test handler: waits `ms` in `steps` slices, reporting progress and honouring
 * cancel. It exercises the whole lease → heartbeat → complete path without doing real work, so
 * it is what the queue's crash and cancel tests run, and what an operator can enqueue to check
 * that a worker is alive.
 */
export const diagnosticSleep: JobHandler<SleepPayload, { sleptMs: number; workerId: string }> = async (job, ctx) => {
  const { ms } = job.payload ?? ({} as SleepPayload);
  const steps = job.payload?.steps ?? 10;
  if (!Number.isFinite(ms) || ms < 0) throw badRequest('diagnostic.sleep needs payload.ms ≥ 0');
  if (!Number.isInteger(steps) || steps < 1) throw badRequest('diagnostic.sleep needs payload.steps ≥ 1');
  const started = Date.now();
  for (let step = 1; step <= steps; step++) {
    await sleep(ms / steps, ctx.signal);
    await ctx.heartbeat({ step, steps }); // throws once the job is cancelled or the lease is lost
  }
  return { sleptMs: Date.now() - started, workerId: ctx.workerId };
};

export const handlers: Record<string, JobHandler> = {
  'diagnostic.sleep': diagnosticSleep,
  [ROUND_JOB]: roundJob,
  [DEMO_TEACHER_JOB]: demoTeacherJob,
  [QUEUE_REBUILD_JOB]: queueRebuildJob,
};
