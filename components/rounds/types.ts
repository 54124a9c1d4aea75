/** The round and job shapes the API returns: lib/'s own types (type-only imports), dates as strings. */
import type { Wire } from '@/components/api';
import type { DemoTeacherProgress } from '@/lib/demo/teacher-job.ts';
import type { JobView } from '@/lib/jobs/view.ts';
import type { RoundView } from '@/lib/rounds/rounds.ts';
import type { RoundProgress } from '@/lib/rounds/run.ts';

export type { ReportJSON as Report } from '@/lib/rounds/evaluate.ts';
/** A round's progress, or the demo teacher job's. */
export type Progress = RoundProgress | DemoTeacherProgress;
export type Round = Wire<RoundView>;
export type JobRow = Omit<Wire<JobView>, 'progress'> & { progress: Progress | null };
