/**
 * Held-out (cross-fitted) predictions for the pool: for every item a round trained on with the
 * teacher's target alone, the prediction of a student that did not see that item.
 *
 * Why: the queue looks for the items where the teacher is wrong by asking where the student
 * disagrees with it. A student scored on its own training items has learnt the teacher's label
 * for each of them — a linear n-gram student can fit almost all of them — so it agrees with the
 * teacher exactly where the teacher's mistakes are peculiar to one item, and those are the mistakes
 * people should fix. Scoring each item with a student trained on the other folds (the teacher's
 * labels elsewhere, and every human label) makes the disagreement an honest estimate of "the
 * teacher is wrong here", as confident learning does for noisy labels (Northcutt et al. 2021).
 *
 * The fold students train from scratch on the round's vocabulary for the architecture's default
 * epochs, seeded from the round's seed; the folds are a stable hash of the item id.
 */
import { createHash } from 'node:crypto';
import type { FeatureVocab } from '../ml/features.ts';
import type { DistillTargets } from '../ml/loss.ts';
import { predictProbs } from '../ml/model.ts';
import type { PackedIds } from '../ml/tokenizer.ts';
import { trainStudent } from '../ml/train.ts';
import type { RoundConfig } from './config.ts';

/** The fold of an item: the same item is in the same fold in every round. */
export function foldOf(itemId: number, folds: number): number {
  return createHash('sha256').update(`fold:${itemId}`).digest().readUInt32BE(0) % folds;
}

/** Rows of a packed id buffer, packed anew. */
export function subsetPacked(packed: PackedIds, rows: ArrayLike<number>): PackedIds {
  const offsets = new Int32Array(rows.length + 1);
  for (let k = 0; k < rows.length; k++) offsets[k + 1] = offsets[k] + packed.offsets[rows[k] + 1] - packed.offsets[rows[k]];
  const tokens = new Int32Array(offsets[rows.length]);
  for (let k = 0; k < rows.length; k++) tokens.set(packed.tokens.subarray(packed.offsets[rows[k]], packed.offsets[rows[k] + 1]), offsets[k]);
  return { offsets, tokens };
}

function subsetTargets(t: Required<DistillTargets>, rows: ArrayLike<number>, C: number): Required<DistillTargets> {
  const n = rows.length;
  const softTargets = new Float32Array(n * C);
  const softMask = new Uint8Array(n);
  const hardLabels = new Int32Array(n);
  const weights = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = rows[k];
    softTargets.set(t.softTargets.subarray(i * C, i * C + C), k * C);
    softMask[k] = t.softMask[i];
    hardLabels[k] = t.hardLabels[i];
    weights[k] = t.weights[i];
  }
  return { softTargets, softMask, hardLabels, weights };
}

export interface HeldOutInput {
  config: RoundConfig;
  vocab: FeatureVocab;
  /** The round's training examples (ids, targets) and their item ids, aligned. */
  ids: PackedIds;
  targets: Required<DistillTargets>;
  itemIds: readonly number[];
  numClasses: number;
  folds: number;
  signal?: AbortSignal;
  onFold?: (fold: number, folds: number) => void | Promise<void>;
}

/**
 * Held-out probabilities of the teacher-only examples (a soft target and no human label): the
 * example rows and their n×C probabilities. Every human-labelled example trains every fold.
 */
export async function heldOutProbs(input: HeldOutInput): Promise<{ rows: Int32Array; probs: Float32Array }> {
  const { targets, itemIds, numClasses: C, folds } = input;
  const n = itemIds.length;
  const teacherOnly = (i: number) => targets.softMask[i] === 1 && targets.hardLabels[i] < 0;
  const fold = Int32Array.from(itemIds, (id, i) => (teacherOnly(i) ? foldOf(id, folds) : -1));
  const rows = Int32Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] >= 0);
  const probs = new Float32Array(rows.length * C);
  const at = new Map(Array.from(rows, (r, k) => [r, k]));
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const scored: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? scored : train).push(i);
    if (!scored.length || !train.length) continue;
    await input.onFold?.(f, folds);
    const result = await trainStudent({
      model: input.config.model,
      train: { ...input.config.train, epochs: undefined, seed: input.config.train.seed + 1 + f },
      numClasses: C,
      vocabSize: input.vocab.size,
      vocab: input.vocab.toJSON(),
      data: { ids: subsetPacked(input.ids, train), ...subsetTargets(targets, train, C) },
      signal: input.signal,
      progressIntervalMs: 60_000,
    });
    const p = predictProbs(result.weights, subsetPacked(input.ids, scored));
    scored.forEach((i, k) => probs.set(p.subarray(k * C, k * C + C), at.get(i)! * C));
  }
  return { rows, probs };
}
