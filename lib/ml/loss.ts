/**
 * Distillation loss and its gradient with respect to the student's logits.
 *
 * Per example i with student logits z, teacher probabilities p (at T = 1), hard label y:
 *
 *   soft_i = T² · KL(p_T ‖ softmax(z/T))        p_T = softmax(log p / T)      ('kl', Hinton et al. 2015)
 *        or mean_c (centre(z) − centre(log p))²                                 ('mse', Tang et al. 2019)
 *   hard_i = −log softmax(z)[y]
 *
 *   L_i = alpha · soft_i + (1 − alpha) · hard_i     when i has both a soft target and a hard label
 *   L_i = soft_i                                    soft target only (a teacher-labelled pool item)
 *   L_i = hard_i                                    hard label only (a human label without soft target)
 *
 *   L = Σ w_i L_i / Σ w_i                           w_i = per-example weight
 *
 * Why renormalise the one-term cases instead of applying alpha/(1 − alpha) everywhere: in a
 * distillation round almost every example is teacher-only. With a fixed alpha, alpha = 0.5 would
 * halve the loss of all of them, which only acts as a hidden learning-rate cut and makes runs with
 * different alphas incomparable. Renormalised, alpha means what a lead expects: the share of the
 * teacher in examples where both the teacher and a human speak. The weight of a human label
 * against the teacher pool is set by w_i (default 5, `prepareDistillationTargets`).
 *
 * The T² factor keeps the soft gradients' scale independent of T (Hinton et al.): the gradient
 * of T²·KL with respect to z is T·(softmax(z/T) − p_T).
 *
 * 'mse' recovers teacher logits as log-probabilities (all that users usually have). Log-probs are
 * logits shifted by a per-example constant, and squared error is not shift-invariant, so both
 * sides are centred (mean over classes = 0) before comparing. Temperature does not apply to 'mse'.
 */
import { assertRows } from './math.ts';

export type LossKind = 'kl' | 'mse';

export interface LossSettings {
  temperature: number;
  alpha: number;
  loss: LossKind;
}

/** Targets of a training set, row-aligned with the examples. */
export interface DistillTargets {
  /** n×C teacher probabilities at temperature 1 (rows of examples without a soft target are ignored). */
  softTargets: Float32Array;
  /** 1 where the example has a soft target. Omitted = every example has one. */
  softMask?: Uint8Array;
  /** Hard label per example, −1 = none. */
  hardLabels: Int32Array;
  /** Per-example weight (≥ 0). */
  weights: Float32Array;
}

/** Smallest probability used when taking logs of teacher outputs (teachers emit exact zeros). */
export const PROB_FLOOR = 1e-7;

/**
 * Loss of a batch and dL/dlogits.
 *
 * `rows[b]` is the dataset index of batch row b (so a batch never copies targets). `grad`
 * (b×C) receives the gradient of the batch loss. `normaliser` defaults to the batch's Σ w_i; data-
 * parallel callers pass the whole batch's sum so that the parts' gradients add up.
 * Returns the weighted mean loss and the weight sum.
 */
export function distillationLoss(
  logits: Float32Array,
  numClasses: number,
  rows: ArrayLike<number>,
  targets: DistillTargets,
  settings: LossSettings,
  grad?: Float32Array,
  normaliser?: number,
): { loss: number; weightSum: number } {
  const C = numClasses;
  const b = assertRows(logits, C, 'logits');
  if (rows.length !== b) throw new Error(`rows (${rows.length}) must match the logits batch (${b})`);
  const { temperature: T, alpha, loss: kind } = settings;
  const { softTargets, softMask, hardLabels, weights } = targets;

  let weightSum = 0;
  for (let i = 0; i < b; i++) weightSum += weights[rows[i]];
  const norm = normaliser ?? weightSum;
  if (grad) grad.fill(0);
  if (!(norm > 0)) return { loss: 0, weightSum };

  const q = new Float64Array(C); // softmax(z/T) or centred z
  const pT = new Float64Array(C); // tempered teacher, or centred teacher log-probs
  const pHard = new Float64Array(C); // softmax(z)
  let total = 0;

  for (let i = 0; i < b; i++) {
    const r = rows[i];
    const w = weights[r];
    if (w === 0) continue;
    const z = i * C;
    const t = r * C;
    const hasSoft = softMask ? softMask[r] === 1 : true;
    const y = hardLabels[r];
    const hasHard = y >= 0;
    if (!hasSoft && !hasHard) throw new Error(`example ${r} has neither a soft target nor a hard label`);
    if (hasHard && y >= C) throw new Error(`example ${r}: hard label ${y} out of range for ${C} classes`);
    const softShare = hasSoft && hasHard ? alpha : hasSoft ? 1 : 0;
    const hardShare = 1 - softShare;
    const scale = w / norm;
    let li = 0;

    if (softShare > 0) {
      let soft = 0;
      if (kind === 'kl') {
        // Student softmax at T.
        let max = -Infinity;
        for (let c = 0; c < C; c++) max = Math.max(max, logits[z + c]);
        let sum = 0;
        for (let c = 0; c < C; c++) sum += q[c] = Math.exp((logits[z + c] - max) / T);
        const logSum = Math.log(sum);
        for (let c = 0; c < C; c++) q[c] /= sum;
        // Teacher tempered: p^(1/T) normalised (= softmax(log p / T)).
        let tsum = 0;
        for (let c = 0; c < C; c++) tsum += pT[c] = T === 1 ? softTargets[t + c] : Math.pow(Math.max(softTargets[t + c], 0), 1 / T);
        if (!(tsum > 0)) throw new Error(`example ${r}: soft target sums to 0`);
        for (let c = 0; c < C; c++) pT[c] /= tsum;
        for (let c = 0; c < C; c++) {
          const p = pT[c];
          if (p > 0) soft += p * (Math.log(p) - ((logits[z + c] - max) / T - logSum));
        }
        soft *= T * T;
        if (grad) for (let c = 0; c < C; c++) grad[z + c] += scale * softShare * T * (q[c] - pT[c]);
      } else {
        let zm = 0;
        let tm = 0;
        for (let c = 0; c < C; c++) {
          zm += logits[z + c];
          tm += pT[c] = Math.log(Math.max(softTargets[t + c], PROB_FLOOR));
        }
        zm /= C;
        tm /= C;
        for (let c = 0; c < C; c++) {
          const d = logits[z + c] - zm - (pT[c] - tm);
          soft += d * d;
          if (grad) grad[z + c] += (scale * softShare * 2 * d) / C;
        }
        soft /= C;
      }
      li += softShare * soft;
    }

    if (hardShare > 0) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, logits[z + c]);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += pHard[c] = Math.exp(logits[z + c] - max);
      const ce = Math.log(sum) - (logits[z + y] - max);
      li += hardShare * ce;
      if (grad) for (let c = 0; c < C; c++) grad[z + c] += scale * hardShare * (pHard[c] / sum - (c === y ? 1 : 0));
    }
    total += w * li;
  }
  return { loss: total / norm, weightSum };
}

/**
 * Several teachers (e.g. the current BERT and historical production models) combined into one
 * soft target: the weighted mixture Σ_k w_k p_k / Σ_k w_k, row by row. A mixture (not a
 * geometric mean) keeps every class any trusted teacher considers possible.
 */
export function combineTeachers(probsList: readonly Float32Array[], weights?: readonly number[]): Float32Array {
  if (probsList.length === 0) throw new Error('combineTeachers needs at least one teacher');
  const w = weights ?? probsList.map(() => 1);
  if (w.length !== probsList.length) throw new Error('one weight per teacher');
  const len = probsList[0].length;
  let total = 0;
  for (let k = 0; k < w.length; k++) {
    if (!(w[k] >= 0)) throw new Error(`teacher weight ${k} must be >= 0`);
    if (probsList[k].length !== len) throw new Error(`teacher ${k} has ${probsList[k].length} values, teacher 0 has ${len}`);
    total += w[k];
  }
  if (!(total > 0)) throw new Error('teacher weights sum to 0');
  const out = new Float32Array(len);
  for (let k = 0; k < probsList.length; k++) {
    const p = probsList[k];
    const share = w[k] / total;
    if (share === 0) continue;
    for (let j = 0; j < len; j++) out[j] += share * p[j];
  }
  return out;
}

/** One teacher's n×C probabilities, with has[i] = 1 where it gave item i an output. */
export interface TeacherMatrix {
  probs: Float32Array;
  has: Uint8Array;
  weight: number;
}

/**
 * The teachers' outputs mixed per item: the only teacher's row where one speaks, the weighted
 * mean of those that speak where several do (combineTeachers); has[i] = 0 where none does.
 */
export function mixTeachers(teachers: readonly TeacherMatrix[], n: number, C: number): { probs: Float32Array; has: Uint8Array } {
  const probs = new Float32Array(n * C);
  const has = new Uint8Array(n);
  const rows: Float32Array[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    rows.length = 0;
    w.length = 0;
    for (const t of teachers) {
      if (!t.has[i]) continue;
      rows.push(t.probs.subarray(i * C, i * C + C));
      w.push(t.weight);
    }
    if (!rows.length) continue;
    has[i] = 1;
    probs.set(rows.length === 1 ? rows[0] : combineTeachers(rows, w), i * C);
  }
  return { probs, has };
}

export interface PrepareTargetsInput {
  numClasses: number;
  /** n×C teacher probabilities (already combined if there are several teachers). */
  teacherProbs: Float32Array;
  /** Human labels, −1 = none. A human label overrides the teacher for that item. */
  humanLabels?: Int32Array;
  /** Weight of an example with a human label (default 2, the round default: lib/rounds/config.ts says why). */
  humanWeight?: number;
  /** Keep the teacher's soft target next to the human label (default false: the human overrules the teacher). */
  keepTeacherForHuman?: boolean;
  /** Base weight per example (e.g. oversampling where the last student failed); default 1. */
  baseWeights?: Float32Array;
}

/** Builds the training targets of a round from teacher outputs and human labels. */
export function prepareDistillationTargets(input: PrepareTargetsInput): Required<DistillTargets> {
  const C = input.numClasses;
  const n = assertRows(input.teacherProbs, C, 'teacherProbs');
  const humanWeight = input.humanWeight ?? 2;
  const hardLabels = new Int32Array(n).fill(-1);
  const softMask = new Uint8Array(n).fill(1);
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const base = input.baseWeights ? input.baseWeights[i] : 1;
    const y = input.humanLabels ? input.humanLabels[i] : -1;
    if (y >= 0) {
      if (y >= C) throw new Error(`human label ${y} of item ${i} out of range`);
      hardLabels[i] = y;
      softMask[i] = input.keepTeacherForHuman ? 1 : 0;
      weights[i] = base * humanWeight;
    } else {
      weights[i] = base;
    }
  }
  return { softTargets: input.teacherProbs, softMask, hardLabels, weights };
}
