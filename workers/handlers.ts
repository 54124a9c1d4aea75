/**
 * The job types a worker knows, by `Job.type`: the registry the worker entry (workers/main.ts),
 * the demo and `cli worker` run. Each handler checks its payload with its own zod schema.
 */
import type { JobHandler } from '../lib/jobs/handler.ts';
import { DIAGNOSTIC_SLEEP_JOB, diagnosticSleep } from '../lib/jobs/diagnostic.ts';
import { roundJob } from '../lib/rounds/handler.ts';
import { ROUND_JOB } from '../lib/rounds/rounds.ts';
import { DEMO_TEACHER_JOB, demoTeacherJob } from '../lib/demo/teacher-job.ts';
import { QUEUE_REBUILD_JOB, queueRebuildJob } from '../lib/queue/rebuild-job.ts';

export const handlers: Record<string, JobHandler> = {
  [DIAGNOSTIC_SLEEP_JOB]: diagnosticSleep,
  [ROUND_JOB]: roundJob,
  [DEMO_TEACHER_JOB]: demoTeacherJob,
  [QUEUE_REBUILD_JOB]: queueRebuildJob,
};
