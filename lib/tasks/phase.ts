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
