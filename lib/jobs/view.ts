import { parseJson, type Job } from './queue.ts';

/** A job as the API shows it: payload and progress parsed, the lease holder named `worker`. */
export function jobView(j: Job) {
  return {
    id: j.id,
    type: j.type,
    status: j.status,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    worker: j.leaseOwner,
    leaseExpiresAt: j.leaseExpiresAt,
    payload: parseJson(j.payload),
    progress: parseJson(j.progress),
    error: j.error,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  };
}

export type JobView = ReturnType<typeof jobView>;
