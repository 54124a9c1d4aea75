import { describe, expect, it } from 'vitest';
import { correctionWeights, inValidation, lossGuidedWeights } from './training-set.ts';

// Two classes. Items 0-3: the teacher is confidently wrong (says class 0) and people labelled
// them class 1; the last student learned the human label (high loss against the teacher).
// Items 4-7: no human label, the student fits the teacher well. Items 8-9: no human label, the
// student misses the teacher's label.
const C = 2;
const studentProbs = Float32Array.from([
  0.1, 0.9, 0.15, 0.85, 0.2, 0.8, 0.1, 0.9, // 0-3: student agrees with the people
  0.9, 0.1, 0.9, 0.1, 0.85, 0.15, 0.9, 0.1, // 4-7: student agrees with the teacher
  0.3, 0.7, 0.4, 0.6, // 8-9: student misses the teacher (class 0)
]);
const teacherLoss = Float64Array.from([2.3, 1.9, 1.6, 2.3, 0.1, 0.1, 0.16, 0.1, 1.2, 0.9]);
const human = Int32Array.from([1, 1, 1, 1, -1, -1, -1, -1, -1, -1]);

describe('lossGuidedWeights', () => {
  const w = lossGuidedWeights({ studentProbs, teacherLoss, human, numClasses: C, min: 0.5, max: 3 });
  it('does not up-weight items where people showed the teacher wrong and the student followed them', () => {
    // Against the teacher these items have the largest losses; against their human labels they are fitted.
    for (const i of [0, 1, 2, 3]) expect(w[i]).toBeLessThanOrEqual(w[8]);
    for (const i of [0, 1, 2, 3]) expect(w[i]).toBeLessThan(1);
  });
  it('still oversamples where the student misses its target (fidelity to the teacher where no person spoke)', () => {
    expect(w[8]).toBeGreaterThan(1);
    expect(w[9]).toBeGreaterThan(1);
    expect(w[8]).toBeGreaterThan(w[4]);
  });
  it('clamps to [min, max] × the mean and gives unscored items weight 1', () => {
    for (const x of w) expect(x).toBeGreaterThanOrEqual(0.5);
    for (const x of w) expect(x).toBeLessThanOrEqual(3);
    const unscored = lossGuidedWeights({ studentProbs: Float32Array.from([NaN, NaN, 0.5, 0.5]), teacherLoss: Float64Array.from([NaN, 0.7]), human: Int32Array.from([1, -1]), numClasses: C, min: 0.5, max: 3 });
    expect(unscored[0]).toBe(1);
  });
});

describe('inValidation', () => {
  it('holds out a stable share of the items', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => i + 1);
    const held = ids.filter((id) => inValidation(id, 0.15));
    expect(held.length / ids.length).toBeGreaterThan(0.12);
    expect(held.length / ids.length).toBeLessThan(0.18);
    expect(ids.filter((id) => inValidation(id, 0.15))).toEqual(held);
    expect(ids.some((id) => inValidation(id, 0))).toBe(false);
  });
});

describe('correctionWeights', () => {
  it('weighs a correction of a confident teacher most, a confirmation of a sure teacher about 1', () => {
    const teacher = Float32Array.from([0.95, 0.05, 0.95, 0.05, 0.6, 0.4, 0.5, 0.5]);
    const w = correctionWeights(teacher, Uint8Array.from([1, 1, 1, 0]), Int32Array.from([1, 0, 1, 1]), 2, 3);
    expect(w[0]).toBeCloseTo(1 + 3 * 0.95); // teacher sure and wrong
    expect(w[1]).toBeCloseTo(1 + 3 * 0.05); // teacher sure and right
    expect(w[2]).toBeCloseTo(1 + 3 * 0.6); // teacher unsure and wrong
    expect(w[3]).toBe(1); // no teacher output
    expect(Array.from(correctionWeights(teacher, Uint8Array.from([1, 1, 1, 1]), Int32Array.from([1, -1, 1, 1]), 2, 0))).toEqual([1, 1, 1, 1]);
  });
});
