/**
 * The job types a worker knows, by `Job.type`: the registry the worker entry (workers/main.ts),
 * the demo and `cli worker` run. Each handler checks its payload with its own zod schema.
 */
import type { JobHandler } from '../lib/jobs/handler.ts';
import type { PeriodicTask } from '../lib/jobs/runner.ts';
import { autoRoundCheckMs, autoRoundSweep } from '../lib/rounds/auto.ts';
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

/** What every worker also checks on a timer: phases due for an automatic round (Phase.autoRoundAfterLabels). */
export const periodic: PeriodicTask[] = [
  {
    name: 'automatic rounds',
    everyMs: autoRoundCheckMs(),
    run: async ({ db }) => {
      const started = (await autoRoundSweep(db)).filter((c) => c.started);
      if (started.length) return started.map((c) => `started round ${c.started!.number} of phase ${c.phaseId} (${c.newLabels} new human labels ≥ ${c.threshold})`).join('; ');
    },
  },
];
