/**
 * A round's training set: which train-split items it learns from, with which hard labels and
 * base weights, and which trusted-labelled items it holds out as its validation slice (model
 * selection and the regression guard use it; the temporal test slice is never used to choose).
 * Built once when the round starts and snapshotted, so a resumed round trains on the same set.
 */
import { createHash } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { Db } from '../db/client.ts';
import { unprocessable } from '../errors.ts';
import type { RoundConfig } from './config.ts';
import { lastStudentScores } from './data.ts';
import { loadPhaseRows, type PhaseRows } from '../tasks/items.ts';
import type { PhaseMeta } from '../tasks/phase.ts';

export interface TrainSetSnapshot {
  ids: number[];
  hard: number[];
  base: number[];
  /** Held-out trusted-labelled items (ids) and their labels. */
  validation: { ids: number[]; labels: number[] };
  /** The student whose scores guided the weights ('loss' sampling). */
  guidedBy: number | null;
}

/**
 * Loss-guided weights (the fidelity objective of the seed's resampling, `sampling: 'loss'`):
 * each item weighs by the last student's loss on its *training target*, clamped to
 * [min, max] × the mean. Where people gave a label, that target is the person's label: the
 * student's loss against a teacher that people showed wrong must not pull it back toward the
 * teacher, so those items weigh by how badly the student missed the human label instead.
 * `studentProbs` is n×C (NaN rows: not scored); `teacherLoss` the stored loss against the teacher.
 */
export function lossGuidedWeights(input: { studentProbs: Float32Array; teacherLoss: Float64Array; human: Int32Array; numClasses: number; min: number; max: number }): Float32Array {
  const { studentProbs, teacherLoss, human, numClasses: C, min, max } = input;
  const n = human.length;
  const loss = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (human[i] >= 0) {
      const p = studentProbs[i * C + human[i]];
      loss[i] = Number.isFinite(p) ? -Math.log(Math.max(p, 1e-7)) : NaN;
    } else loss[i] = teacherLoss[i];
  }
  let sum = 0;
  let known = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(loss[i])) (sum += loss[i]), known++;
  const mean = known ? sum / known : 0;
  return Float32Array.from(loss, (l) => (Number.isFinite(l) && mean > 0 ? Math.min(max, Math.max(min, l / mean)) : 1));
}

/**
 * How much more a human label weighs where it overrules a confident teacher: 1 + boost × the
 * teacher's probability mass off the human label (≈ 1 where the person confirms a sure teacher,
 * up to 1 + boost where the teacher was sure and wrong). Items without a human label or without
 * a teacher output get 1. A correction then counts in proportion to how much it teaches.
 */
export function correctionWeights(teacherProbs: Float32Array, hasTeacher: Uint8Array, human: Int32Array, numClasses: number, boost: number): Float32Array {
  const out = new Float32Array(human.length).fill(1);
  if (!(boost > 0)) return out;
  for (let i = 0; i < human.length; i++) {
    if (human[i] < 0 || !hasTeacher[i]) continue;
    out[i] = 1 + boost * Math.min(1, Math.max(0, 1 - teacherProbs[i * numClasses + human[i]]));
  }
  return out;
}

/** A stable share of the items by id (the same item is in or out in every round). */
export function inValidation(itemId: number, share: number): boolean {
  if (share <= 0) return false;
  return createHash('sha256').update(`validation:${itemId}`).digest().readUInt32BE(0) / 2 ** 32 < share;
}

/** Fewer trusted labels than this: no validation slice (too noisy to choose by), train on all. */
export const MIN_VALIDATION = 50;

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * Builds (or reloads) the snapshot. When it builds it, it also returns the train rows it
 * loaded, so they are not read twice.
 */
export async function trainingSet(db: Db, store: ArtifactStore, key: string, roundId: number, phase: PhaseMeta, config: RoundConfig): Promise<{ snap: TrainSetSnapshot; rows?: PhaseRows }> {
  const saved = await store.get(key);
  if (saved) return { snap: JSON.parse(new TextDecoder().decode(saved)) as TrainSetSnapshot };
  const rows = await loadPhaseRows(db, phase, 'train');
  const held = new Set<number>();
  const trustedIdx: number[] = [];
  for (let i = 0; i < rows.ids.length; i++) if (rows.trusted[i] && rows.human[i] >= 0 && inValidation(rows.ids[i], config.validationShare)) trustedIdx.push(i);
  if (trustedIdx.length >= MIN_VALIDATION) for (const i of trustedIdx) held.add(i);
  const keep: number[] = [];
  for (let i = 0; i < rows.ids.length; i++) if (!held.has(i) && ((config.useTeacher && rows.hasTeacher[i]) || rows.human[i] >= 0)) keep.push(i);
  let chosen = keep;
  if (config.maxExamples > 0 && chosen.length > config.maxExamples) chosen = chosen.slice(chosen.length - config.maxExamples);
  // Permanent (4xx): retrying cannot help until data arrives, and an empty snapshot must not be kept.
  if (!chosen.length) throw unprocessable(`phase ${phase.id} has no training items with ${config.useTeacher ? 'a teacher output or ' : ''}a human label: import teacher outputs or label some items first`);
  let base: Float32Array = new Float32Array(chosen.length).fill(1);
  let guidedBy: number | null = null;
  if (config.sampling === 'loss') {
    const last = await lastStudentScores(db, phase, roundId);
    if (last) {
      const C = phase.labels.length;
      const studentProbs = new Float32Array(chosen.length * C).fill(NaN);
      const teacherLoss = new Float64Array(chosen.length).fill(NaN);
      chosen.forEach((i, k) => {
        const s = last.scores.get(rows.ids[i]);
        if (!s) return;
        if (s.probs.length === C) studentProbs.set(s.probs, k * C);
        teacherLoss[k] = s.loss;
      });
      base = lossGuidedWeights({ studentProbs, teacherLoss, human: Int32Array.from(chosen, (i) => rows.human[i]), numClasses: C, min: config.minWeight, max: config.maxWeight });
      guidedBy = last.modelId;
    }
  }
  const heldIdx = [...held];
  const snap: TrainSetSnapshot = {
    ids: chosen.map((i) => rows.ids[i]),
    hard: chosen.map((i) => rows.human[i]),
    base: Array.from(base),
    validation: { ids: heldIdx.map((i) => rows.ids[i]), labels: heldIdx.map((i) => rows.human[i]) },
    guidedBy,
  };
  await store.put(key, enc(snap));
  return { snap, rows };
}
