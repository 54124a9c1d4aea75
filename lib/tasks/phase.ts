/**
 * A phase as the code that scores, ranks, trains and evaluates sees it: parsed once from its
 * database row (labels are stored as JSON text), with its decision rule.
 */

import type { Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { decideWithThreshold, predictLabels } from '../ml/metrics.ts';

export interface PhaseMeta {
  id: number;
  labels: string[];
  /** Threshold on P(positiveLabel) for a binary phase; null = argmax. */
  threshold: number | null;
  positiveLabel: string | null;
  /** Only items an earlier phase labels `label` belong to this phase's queue. */
  dependsOn: { phaseId: number; label: string } | null;
}

/** The columns of a Phase row that parsePhase reads (raw SQL may return numbers as text or bigint). */
export interface PhaseColumns {
  id: number;
  labels: string;
  threshold: unknown;
  positiveLabel: string | null;
  dependsOnPhaseId?: unknown;
  dependsOnLabel?: string | null;
}

/** A phase's label list, stored as JSON text: a non-empty array of strings. */
export function parseLabels(json: string): string[] {
  let labels: unknown;
  try {
    labels = JSON.parse(json);
  } catch {
    labels = null;
  }
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw badRequest('the phase has no valid label list');
  }
  return labels;
}

export function parsePhase(row: PhaseColumns): PhaseMeta {
  return {
    id: Number(row.id),
    labels: parseLabels(row.labels),
    threshold: row.threshold == null ? null : Number(row.threshold),
    positiveLabel: row.positiveLabel,
    dependsOn: row.dependsOnPhaseId != null && row.dependsOnLabel != null ? { phaseId: Number(row.dependsOnPhaseId), label: row.dependsOnLabel } : null,
  };
}

export async function phaseMeta(db: Db, phaseId: number): Promise<PhaseMeta> {
  return parsePhase(await db.phase.findUniqueOrThrow({ where: { id: phaseId } }));
}

/** A phase's decision rule over n×C probabilities: the threshold on P(positive) for binary phases that set one, else argmax. */
export function decide(phase: Pick<PhaseMeta, 'labels' | 'threshold' | 'positiveLabel'>, probs: Float32Array): Int32Array {
  const C = phase.labels.length;
  if (C === 2 && phase.threshold != null) {
    const positive = phase.positiveLabel ? phase.labels.indexOf(phase.positiveLabel) : 1;
    return decideWithThreshold(probs, C, positive < 0 ? 1 : positive, phase.threshold);
  }
  return predictLabels(probs, C);
}

/**
 * How far each item is from the phase's decision flipping, in [0, 1] (0 = on the edge): for a
 * binary phase with a threshold t, the distance of P(positive) from t as a share of the room on
 * its side (p ≥ t: (p − t)/(1 − t), else (t − p)/t); otherwise the top-two probability margin.
 * Before any student exists the queue serves the items the teacher is least sure about first.
 */
export function decisionMargin(phase: Pick<PhaseMeta, 'labels' | 'threshold' | 'positiveLabel'>, probs: Float32Array): Float32Array {
  const C = phase.labels.length;
  const n = Math.floor(probs.length / C);
  const out = new Float32Array(n);
  if (C === 2 && phase.threshold != null) {
    const found = phase.positiveLabel ? phase.labels.indexOf(phase.positiveLabel) : 1;
    const pos = found < 0 ? 1 : found;
    const t = Math.min(Math.max(phase.threshold, 1e-6), 1 - 1e-6);
    for (let i = 0; i < n; i++) {
      const p = probs[i * C + pos];
      out[i] = Math.min(1, p >= t ? (p - t) / (1 - t) : (t - p) / t);
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    let a = -Infinity;
    let b = -Infinity;
    for (let c = 0; c < C; c++) {
      const p = probs[i * C + c];
      if (p > a) {
        b = a;
        a = p;
      } else if (p > b) b = p;
    }
    out[i] = C === 1 ? 1 : a - b;
  }
  return out;
}
