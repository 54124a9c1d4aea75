import { describe, expect, it } from 'vitest';
import { accuracy, classificationReport, confusionMatrix, decideWithThreshold, disagreement, predictLabels } from './metrics.ts';

describe('classification metrics', () => {
  // ref:  0 1 2 2 2 0      confusion (rows ref, cols pred):  [1 0 1 0]
  // pred: 0 1 1 2 2 2                                       [0 1 0 0]
  //                                                         [0 1 2 0]
  //                                                         [0 0 0 0]
  const pred = [0, 1, 1, 2, 2, 2];
  const ref = [0, 1, 2, 2, 2, 0];

  it('confusion matrix has reference rows and predicted columns', () => {
    expect(Array.from(confusionMatrix(pred, ref, 4))).toEqual([1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0]);
  });

  it('per-class precision / recall / F1, macro-F1 over all classes, accuracy', () => {
    const r = classificationReport(pred, ref, 4);
    expect(r.perClass[0]).toMatchObject({ precision: 1, recall: 0.5, support: 2, predicted: 1 });
    expect(r.perClass[0].f1).toBeCloseTo(2 / 3, 10);
    expect(r.perClass[1]).toMatchObject({ precision: 0.5, recall: 1, support: 1, predicted: 2 });
    expect(r.perClass[2].precision).toBeCloseTo(2 / 3, 10);
    expect(r.perClass[2].recall).toBeCloseTo(2 / 3, 10);
    // Class 3 is neither present nor predicted: 0 (zero_division = 0), and it counts in the macro mean.
    expect(r.perClass[3]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.macroF1).toBeCloseTo((2 / 3) * 0.75, 10);
    expect(r.accuracy).toBeCloseTo(4 / 6, 10);
    expect(accuracy(pred, ref)).toBeCloseTo(4 / 6, 10);
  });

  it('skips items without a reference label', () => {
    expect(accuracy([1, 0, 1], [1, -1, 0])).toBe(0.5);
    expect(classificationReport([1, 0, 1], [1, -1, 0], 2).total).toBe(2);
  });

  it('threshold decision on P(positive)', () => {
    const probs = Float32Array.from([0.3, 0.7, 0.6, 0.4]);
    expect(Array.from(decideWithThreshold(probs, 2, 1, 0.5))).toEqual([1, 0]);
    expect(Array.from(decideWithThreshold(probs, 2, 1, 0.35))).toEqual([1, 1]);
    expect(Array.from(decideWithThreshold(probs, 2, 1, 0.8))).toEqual([0, 0]);
    // With more classes, below the threshold the item takes the best other class.
    const three = Float32Array.from([0.5, 0.2, 0.3]);
    expect(Array.from(decideWithThreshold(three, 3, 1, 0.15))).toEqual([1]);
    expect(Array.from(decideWithThreshold(three, 3, 1, 0.25))).toEqual([0]);
    expect(Array.from(predictLabels(three, 3))).toEqual([0]);
  });
});

describe('disagreement', () => {
  // Row 0: t = [0.5, 0.5, 0], s = [0.9, 0.1, 0]    Row 1: t = [0.1, 0.7, 0.2], s = [0.6, 0.3, 0.1]
  const t = Float32Array.from([0.5, 0.5, 0, 0.1, 0.7, 0.2]);
  const s = Float32Array.from([0.9, 0.1, 0, 0.6, 0.3, 0.1]);
  const d = disagreement(t, s, 3);

  it('KL(t‖s)', () => {
    // 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1)
    expect(d.kl[0]).toBeCloseTo(0.5108256, 6);
    // 0.1·ln(0.1/0.6) + 0.7·ln(0.7/0.3) + 0.2·ln(0.2/0.1)
    expect(d.kl[1]).toBeCloseTo(0.552562, 5);
  });

  it('Jensen–Shannon', () => {
    // m = [0.7, 0.3]: ½·KL(t‖m) + ½·KL(s‖m) = ½·0.0871767 + ½·0.1163218
    expect(d.js[0]).toBeCloseTo(0.1017492, 6);
    expect(d.js[0]).toBeLessThanOrEqual(Math.LN2);
  });

  it('top-label flip, student margin, student loss on the teacher label', () => {
    expect(Array.from(d.flip)).toEqual([0, 1]);
    expect(d.margin[0]).toBeCloseTo(0.8, 6);
    expect(d.margin[1]).toBeCloseTo(0.3, 6);
    expect(d.studentLoss[0]).toBeCloseTo(-Math.log(0.9), 6);
    expect(d.studentLoss[1]).toBeCloseTo(-Math.log(0.3), 6);
    expect(Array.from(d.teacherTop)).toEqual([0, 1]);
    expect(Array.from(d.studentTop)).toEqual([0, 0]);
  });

  it('doubt: 1 − the teacher label’s share of the normalised product of the two distributions', () => {
    // Row 0: teacher label 0; t·s = [0.45, 0.05, 0] → 1 − 0.45/0.5
    expect(d.doubt[0]).toBeCloseTo(0.1, 6);
    // Row 1: teacher label 1; t·s = [0.06, 0.21, 0.02] → 1 − 0.21/0.29
    expect(d.doubt[1]).toBeCloseTo(1 - 0.21 / 0.29, 6);
  });

  it('doubt ranks a confident teacher that the student contradicts below an unsure one it contradicts as much, and both above agreement', () => {
    // Both students put 0.2 on the teacher's label 0; one teacher is sure (0.95), one is not (0.55).
    const teachers = Float32Array.from([0.95, 0.05, 0.55, 0.45, 0.9, 0.1]);
    const students = Float32Array.from([0.2, 0.8, 0.2, 0.8, 0.9, 0.1]);
    const x = disagreement(teachers, students, 2);
    expect(x.doubt[1]).toBeGreaterThan(x.doubt[0]);
    expect(x.doubt[0]).toBeGreaterThan(x.doubt[2]);
    // Loss cannot tell the first two apart: it only looks at the student.
    expect(x.studentLoss[0]).toBeCloseTo(x.studentLoss[1], 6);
  });

  it('doubt is 1 when the two share no mass', () => {
    expect(disagreement(Float32Array.from([1, 0]), Float32Array.from([0, 1]), 2).doubt[0]).toBe(1);
  });

  it('identical distributions do not disagree', () => {
    const same = disagreement(t, t, 3);
    expect(Math.max(...same.kl, ...same.js)).toBeLessThan(1e-7);
    expect(Array.from(same.flip)).toEqual([0, 0]);
  });
});
