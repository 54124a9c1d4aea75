/**
 * Why a running job's signal was aborted (`ctx.signal.reason`). Handlers tell them apart with
 * `instanceof`: a cancel ends the job, while a stopping worker or a lost lease hands it to
 * another worker, so a handler must not record it as over.
 */
export class JobAbortError extends Error {}

/** The job was cancelled (cancel requested through the API or CLI). */
export class JobCancelledError extends JobAbortError {
  override name = 'JobCancelledError';
}
/** This worker no longer holds the job's lease; another worker may already be running it. */
export class LeaseLostError extends JobAbortError {
  override name = 'LeaseLostError';
}
/** The worker is shutting down; the job goes back to the queue. */
export class WorkerStoppingError extends JobAbortError {
  override name = 'WorkerStoppingError';
}

/** True when the job stops only because of this worker (stopping, lease lost): it is not over. */
export function isHandOver(reason: unknown): boolean {
  return reason instanceof WorkerStoppingError || reason instanceof LeaseLostError;
}
