import { studentModelVersion } from '../ml/predictor.ts';
import { conflict } from '../errors.ts';

/**
 * A student's life in the registry. A lead approves (or rejects) a candidate; deploying makes
 * it the phase's `live` model; the model it replaces, or one rolled back from, is retired.
 * A retired model can be deployed again (that is what a rollback does).
 */
export const MODEL_STATUSES = ['candidate', 'approved', 'deployed', 'retired', 'rejected'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export type ModelAction = 'approve' | 'reject' | 'deploy' | 'retire';

const NEXT: Record<ModelAction, { from: readonly ModelStatus[]; to: ModelStatus }> = {
  approve: { from: ['candidate', 'rejected'], to: 'approved' },
  reject: { from: ['candidate', 'approved'], to: 'rejected' },
  deploy: { from: ['approved', 'retired', 'deployed'], to: 'deployed' },
  retire: { from: ['deployed'], to: 'retired' },
};

/** The status after `action`, or a 409 saying why the action is not possible now. */
export function transition(status: string, action: ModelAction): ModelStatus {
  const rule = NEXT[action];
  if (!(rule.from as readonly string[]).includes(status)) {
    const hint = action === 'deploy' && status === 'candidate' ? ': approve it first' : '';
    throw conflict(`a ${status} model cannot be ${action === 'deploy' ? 'deployed' : action + 'd'}${hint}`, { status, action });
  }
  return rule.to;
}

/** The version string every served prediction carries: phase and round, e.g. `p1.r0` (the one spelling, lib/ml/predictor.ts). */
export const modelVersion = studentModelVersion;
