/**
 * What a job handler is: the one context type every handler receives, and a payload schema
 * per job type, checked before the handler runs.
 */
import type { z } from 'zod';
import { badRequest } from '../errors.ts';
import type { Job } from './queue.ts';

/** A claimed job as a handler sees it: the payload already parsed. */
export type RunningJob<P = unknown> = Omit<Job, 'payload'> & { payload: P };

export interface JobContext {
  workerId: string;
  /**
   * Aborted when the job is cancelled, when this worker lost the lease (another worker may
   * already be running the job), or when the worker is stopping. `signal.reason` says which
   * (JobCancelledError, LeaseLostError, WorkerStoppingError from ./errors.ts).
   */
  signal: AbortSignal;
  /**
   * Reports progress (any JSON value) and proves the handler is alive. Cheap to call often:
   * database writes are throttled. Throws `signal.reason` once the job must stop, so a loop
   * that calls it every step stops at the next step.
   */
  heartbeat(progress?: unknown): Promise<void>;
  log(message: string): void;
}

// `any` payload by default so a registry of differently-typed handlers is one Record type.
export type JobHandler<P = any, R = unknown> = (job: RunningJob<P>, ctx: JobContext) => Promise<R>;

/**
 * A handler whose payload is checked against `schema` first: a payload that does not match is a
 * permanent failure (400, not retried) naming the job and the field.
 */
export function jobHandler<S extends z.ZodType, R>(schema: S, run: JobHandler<z.infer<S>, R>): JobHandler<unknown, R> {
  return (job, ctx) => {
    const parsed = schema.safeParse(job.payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badRequest(`job ${job.id} (${job.type}) payload${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
    }
    return run({ ...job, payload: parsed.data }, ctx);
  };
}
