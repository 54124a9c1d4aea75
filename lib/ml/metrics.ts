/**
 * Evaluation metrics and teacher–student disagreement scores. Pure functions over label index
 * arrays and row-major n×C probability Float32Arrays.
 */
import { argmaxRows, assertRows } from './math.ts';
import { PROB_FLOOR } from './loss.ts';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Reference items of this class. */
  support: number;
  /** Items predicted as this class. */
  predicted: number;
}

export interface ClassificationReport {
  perClass: ClassScores[];
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  accuracy: number;
  /** confusion[ref * C + pred] = count. Rows: reference label, columns: predicted label. */
  confusion: Int32Array;
  total: number;
}

/** Confusion matrix, rows = reference, columns = predicted. Items with a negative label on either side are skipped. */
export function confusionMatrix(predicted: ArrayLike<number>, reference: ArrayLike<number>, numClasses: number): Int32Array {
  if (predicted.length !== reference.length) throw new Error('predicted and reference differ in length');
  const m = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i];
    const r = reference[i];
    if (p < 0 || r < 0) continue;
    if (p >= numClasses || r >= numClasses) throw new Error(`label out of range at ${i}`);
    m[r * numClasses + p]++;
  }
  return m;
}

/**
 * Per-class precision / recall / F1, their macro averages and accuracy. A class with no
 * predictions has precision 0 (and F1 0), the sklearn `zero_division=0` convention, so a
 * student that never predicts a class is not rewarded for it. Macro averages run over all
 * classes; a class absent from both sides scores 0 too — pass only the classes of the phase.
 */
export function classificationReport(predicted: ArrayLike<number>, reference: ArrayLike<number>, numClasses: number): ClassificationReport {
  const confusion = confusionMatrix(predicted, reference, numClasses);
  const C = numClasses;
  const perClass: ClassScores[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < C; c++) {
    let support = 0;
    let predictedC = 0;
    for (let k = 0; k < C; k++) {
      support += confusion[c * C + k];
      predictedC += confusion[k * C + c];
    }
    const tp = confusion[c * C + c];
    correct += tp;
    total += support;
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support, predicted: predictedC });
  }
  const mean = (f: (s: ClassScores) => number) => perClass.reduce((a, s) => a + f(s), 0) / C;
  return {
    perClass,
    macroF1: mean((s) => s.f1),
    macroPrecision: mean((s) => s.precision),
    macroRecall: mean((s) => s.recall),
    accuracy: total > 0 ? correct / total : 0,
    confusion,
    total,
  };
}

export function accuracy(predicted: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (predicted.length !== reference.length) throw new Error('predicted and reference differ in length');
  let correct = 0;
  let total = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (reference[i] < 0) continue;
    total++;
    if (predicted[i] === reference[i]) correct++;
  }
  return total > 0 ? correct / total : 0;
}

export function macroF1(predicted: ArrayLike<number>, reference: ArrayLike<number>, numClasses: number): number {
  return classificationReport(predicted, reference, numClasses).macroF1;
}

/** Predicted label of each row: the most probable class. */
export function predictLabels(probs: Float32Array, numClasses: number): Int32Array {
  assertRows(probs, numClasses, 'probs');
  return argmaxRows(probs, numClasses);
}

/**
 * A phase's decision with a threshold: the item is `positiveClass` when P(positive) ≥ threshold,
 * otherwise the most probable of the other classes (for two classes: the negative one).
 */
export function decideWithThreshold(probs: Float32Array, numClasses: number, positiveClass: number, threshold: number): Int32Array {
  const n = assertRows(probs, numClasses, 'probs');
  if (positiveClass < 0 || positiveClass >= numClasses) throw new Error('positiveClass out of range');
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * numClasses;
    if (probs[o + positiveClass] >= threshold) {
      out[i] = positiveClass;
      continue;
    }
    let best = -1;
    for (let c = 0; c < numClasses; c++) if (c !== positiveClass && (best < 0 || probs[o + c] > probs[o + best])) best = c;
    out[i] = best;
  }
  return out;
}

/** Disagreement between teacher probabilities t and student probabilities s, one value per item. */
export interface Disagreement {
  /** KL(t ‖ s) in nats. */
  kl: Float32Array;
  /** Jensen–Shannon divergence in nats (0 … ln 2). */
  js: Float32Array;
  /** 1 where the top labels differ. */
  flip: Uint8Array;
  /** Student margin: top-1 minus top-2 probability (small = unsure). */
  margin: Float32Array;
  /** −log s[argmax t]: the student's loss on the teacher's label. */
  studentLoss: Float32Array;
  /**
   * 1 − t[ŷ]·s[ŷ] / Σc t[c]·s[c], ŷ = argmax t: the chance the teacher's label is wrong when the two
   * models are heard together (the normalised product of their distributions). High where both
   * lean away from the teacher's label, whether or not the student flips; unlike loss, a confident
   * teacher's label is doubted only as much as the student contradicts it.
   */
  doubt: Float32Array;
  teacherTop: Int32Array;
  studentTop: Int32Array;
}

/**
 * All disagreement scores in one pass. Probabilities are floored at 1e-7 inside the logs so
 * that a teacher's (or quantised student's) exact zeros give large-but-finite scores.
 */
export function disagreement(teacher: Float32Array, student: Float32Array, numClasses: number): Disagreement {
  const C = numClasses;
  const n = assertRows(teacher, C, 'teacher');
  if (student.length !== teacher.length) throw new Error('teacher and student probs differ in shape');
  const kl = new Float32Array(n);
  const js = new Float32Array(n);
  const flip = new Uint8Array(n);
  const margin = new Float32Array(n);
  const studentLoss = new Float32Array(n);
  const doubt = new Float32Array(n);
  const teacherTop = new Int32Array(n);
  const studentTop = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    let klI = 0;
    let jsI = 0;
    let tTop = 0;
    let s1 = 0;
    let s2 = -1;
    let agree = 0;
    for (let c = 0; c < C; c++) {
      const t = teacher[o + c];
      const s = student[o + c];
      agree += t * s;
      const lt = Math.log(Math.max(t, PROB_FLOOR));
      const ls = Math.log(Math.max(s, PROB_FLOOR));
      if (t > 0) klI += t * (lt - ls);
      const m = 0.5 * (t + s);
      const lm = Math.log(Math.max(m, PROB_FLOOR));
      if (t > 0) jsI += 0.5 * t * (lt - lm);
      if (s > 0) jsI += 0.5 * s * (ls - lm);
      if (t > teacher[o + tTop]) tTop = c;
      if (c > 0) {
        if (s > student[o + s1]) {
          s2 = s1;
          s1 = c;
        } else if (s2 < 0 || s > student[o + s2]) s2 = c;
      }
    }
    kl[i] = Math.max(0, klI);
    js[i] = Math.max(0, jsI);
    teacherTop[i] = tTop;
    studentTop[i] = s1;
    flip[i] = tTop !== s1 ? 1 : 0;
    margin[i] = student[o + s1] - student[o + s2];
    studentLoss[i] = -Math.log(Math.max(student[o + tTop], PROB_FLOOR));
    // No overlap at all (each puts all mass where the other puts none): the teacher's label is in full doubt.
    doubt[i] = agree > 0 ? Math.min(1, Math.max(0, 1 - (teacher[o + tTop] * student[o + tTop]) / agree)) : 1;
  }
  return { kl, js, flip, margin, studentLoss, doubt, teacherTop, studentTop };
}
