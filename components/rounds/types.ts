/** The round and job shapes the API returns (dates as strings). */
import type { EpochSummary } from '@/lib/ml/train.ts';
import type { RoundMetrics, RoundProgress } from '@/lib/rounds/run.ts';
import type { ReportJSON } from '@/lib/rounds/evaluate.ts';

export type { EpochSummary };
/** A round's progress, or the demo teacher job's (stage 'teacher', with ensemble members). */
export type Progress = Omit<RoundProgress, 'stage'> & { stage: RoundProgress['stage'] | 'teacher' | 'teacher-eval' | 'teacher-scoring'; member?: number; members?: number };
export type Report = ReportJSON;
export type Metrics = RoundMetrics;
export interface Round {
  id: number;
  phaseId: number;
  number: number;
  status: string;
  backend: string | null;
  config: { model: Record<string, unknown> & { arch: string }; train: Record<string, number | string>; humanWeight: number; sampling: string; useTeacher: boolean };
  progress: Progress | null;
  metrics: Metrics | null;
  error: string | null;
  job: { id: number; status: string; attempts: number; maxAttempts: number; leaseOwner: string | null } | null;
  modelId: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface JobRow {
  id: number;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  worker: string | null;
  leaseExpiresAt: string | null;
  payload: unknown;
  progress: Progress | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
}
