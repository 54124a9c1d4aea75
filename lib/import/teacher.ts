/**
 * Teacher outputs: parsing a vector from a CSV cell or a JSON array, turning logits into
 * probabilities, checking probabilities, and the float32 encoding stored in TeacherPrediction.
 */

export type TeacherOutputKind = 'probs' | 'logits';

/** Largest distance from 1 that a probability vector's sum may have. */
export const PROB_SUM_TOLERANCE = 1e-3;

/** Either the probability vector or the reason it was rejected. */
export type VectorResult = { ok: true; probs: number[] } | { ok: false; reason: string };

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NOT_A_NUMBER = /^[+-]?nan$/i;
const INFINITE = /^[+-]?inf(?:inity)?$/i;

/**
 * Splits a CSV cell such as `[0.1,0.9]`, `0.1;0.9` or `0.1 0.9` into numbers. Tokens that are
 * not plain decimal numbers become NaN (and "inf"/"Infinity" become ±Infinity) so that
 * `checkVector` can say exactly what is wrong with them (pass it `vectorTokens(cell)`).
 */
export function splitVectorCell(cell: string): number[] {
  const values: number[] = [];
  let i = 0;
  let end = cell.length;
  while (i < end && isSpace(cell.charCodeAt(i))) i++;
  while (end > i && isSpace(cell.charCodeAt(end - 1))) end--;
  if (cell.charCodeAt(i) === 91 /* [ */ && cell.charCodeAt(end - 1) === 93 /* ] */) {
    i++;
    end--;
  }
  while (i < end) {
    while (i < end && isSeparator(cell.charCodeAt(i))) i++;
    if (i >= end) break;
    let j = i;
    while (j < end && !isSeparator(cell.charCodeAt(j))) j++;
    values.push(tokenValue(cell.slice(i, j)));
    i = j;
  }
  return values;
}

/** The raw tokens of a vector cell, for error messages. */
export function vectorTokens(cell: string): string[] {
  let s = cell.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1).trim();
  return s === '' ? [] : s.split(/[\s,;]+/);
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isSeparator = (c: number) => c === 44 || c === 59 || isSpace(c);

function tokenValue(t: string): number {
  if (NUMBER.test(t)) return Number(t);
  if (INFINITE.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

function describeBad(v: unknown, token: string | undefined): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return token !== undefined && !NOT_A_NUMBER.test(token) ? `${JSON.stringify(token)} is not a number` : 'is NaN';
    return `is ${v > 0 ? 'Infinity' : '-Infinity'}`;
  }
  if (v === null) return 'is null, not a number';
  return `${JSON.stringify(v)} is not a number`;
}

/**
 * Checks one teacher's output for a phase with `labels` and returns its probabilities.
 * `values` come from a JSON array (any JSON values) or from `splitVectorCell` (numbers, with
 * the raw `tokens` for messages). Logits go through softmax; probabilities must be finite,
 * within [0, 1] and sum to 1 within PROB_SUM_TOLERANCE.
 */
export function checkVector(
  teacher: string,
  kind: TeacherOutputKind,
  values: readonly unknown[],
  labels: readonly string[],
  tokens?: readonly string[],
): VectorResult {
  const what = kind === 'probs' ? 'probabilities' : 'logits';
  if (values.length !== labels.length) {
    return { ok: false, reason: `teacher "${teacher}": expected ${labels.length} ${what} (${labels.join(', ')}), got ${values.length}` };
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return { ok: false, reason: `teacher "${teacher}": ${kind} value ${i + 1} (${labels[i]}) ${describeBad(v, tokens?.[i])}` };
    }
  }
  const out = values as number[];
  if (kind === 'logits') return { ok: true, probs: softmax(out) };
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] < 0 || out[i] > 1) {
      return { ok: false, reason: `teacher "${teacher}": probability ${out[i]} (${labels[i]}) is outside [0, 1]` };
    }
    sum += out[i];
  }
  if (Math.abs(sum - 1) > PROB_SUM_TOLERANCE) {
    return { ok: false, reason: `teacher "${teacher}": probabilities sum to ${+sum.toFixed(6)}, not 1 (tolerance ${PROB_SUM_TOLERANCE}); pass logits as logits:${teacher}` };
  }
  return { ok: true, probs: out };
}

/** Numerically stable softmax (the max is subtracted first, so large logits do not overflow). */
export function softmax(logits: ArrayLike<number>): number[] {
  const out = new Array<number>(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
