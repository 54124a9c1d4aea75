import { z } from 'zod';
import { jobHandler } from './handler.ts';
import { sleep } from './runner.ts';

export const DIAGNOSTIC_SLEEP_JOB = 'diagnostic.sleep';

export const sleepPayload = z.object({
  /** Total time to spend (ms). */
  ms: z.number().min(0),
  /** Progress reports along the way (default 10). */
  steps: z.number().int().min(1).default(10),
});
export type SleepPayload = z.input<typeof sleepPayload>;

/**
 * Diagnostic / test handler: waits `ms` in `steps` slices, reporting progress and honouring
 * cancel. It exercises the whole lease → heartbeat → complete path without doing real work, so
 * it is what the queue's crash and cancel tests run, and what an operator can enqueue to check
 * that a worker is alive.
 */
export const diagnosticSleep = jobHandler(sleepPayload, async (job, ctx) => {
  const { ms, steps } = job.payload;
  const started = Date.now();
  for (let step = 1; step <= steps; step++) {
    await sleep(ms / steps, ctx.signal);
    await ctx.heartbeat({ step, steps }); // throws once the job is cancelled or the lease is lost
  }
  return { sleptMs: Date.now() - started, workerId: ctx.workerId };
});
