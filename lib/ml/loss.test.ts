import { describe, expect, it } from 'vitest';
import { combineTeachers, distillationLoss, mixTeachers, prepareDistillationTargets, type DistillTargets } from './loss.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

function lossOf(logits: number[], C: number, targets: DistillTargets, settings: { temperature: number; alpha: number; loss: 'kl' | 'mse' }) {
  const grad = new Float32Array(logits.length);
  const rows = Array.from({ length: logits.length / C }, (_, i) => i);
  const { loss } = distillationLoss(f32(logits), C, rows, targets, settings, grad);
  return { loss, grad: Array.from(grad) };
}

describe('distillationLoss', () => {
  it('soft term at T=2: T²·KL(p_T ‖ softmax(z/T)) with p_T = [2/3, 1/3] for p = [0.8, 0.2]', () => {
    // sqrt(0.8) : sqrt(0.2) = 2 : 1, so the tempered teacher is [2/3, 1/3]; softmax([0.5, 0]) = [0.62246, 0.37754].
    const targets = { softTargets: f32([0.8, 0.2]), hardLabels: i32([-1]), weights: f32([1]) };
    const { loss, grad } = lossOf([1, 0], 2, targets, { temperature: 2, alpha: 0.5, loss: 'kl' });
    expect(loss).toBeCloseTo(0.0169179302, 6);
    // T·(q − p_T)
    expect(grad[0]).toBeCloseTo(-0.0884146709, 6);
    expect(grad[1]).toBeCloseTo(0.0884146709, 6);
  });

  it('hard-only example (human label, no soft target): plain cross-entropy whatever alpha is', () => {
    const targets = { softTargets: f32([0, 0, 0]), softMask: new Uint8Array([0]), hardLabels: i32([1]), weights: f32([5]) };
    const { loss, grad } = lossOf([2, 0.5, -1], 3, targets, { temperature: 3, alpha: 0.9, loss: 'kl' });
    expect(loss).toBeCloseTo(1.7413112967, 6);
    expect(grad[0]).toBeCloseTo(0.7855970346, 6);
    expect(grad[1]).toBeCloseTo(-0.8247096079, 6);
    expect(grad[2]).toBeCloseTo(0.0391125733, 6);
  });

  it('mixes alpha·soft + (1−alpha)·hard where both exist, soft alone elsewhere, weighted mean over the batch', () => {
    // ex0: soft [0.6, 0.4] and hard 0, z = [0.5, −0.5]: 0.3·KL + 0.7·CE = 0.2313581874
    // ex1: soft only [0.1, 0.9], z = [0, 2]: KL = 0.0018450377 (not multiplied by alpha)
    // weights 1 and 3: (0.2313581874 + 3·0.0018450377) / 4 = 0.0592233251
    const targets = { softTargets: f32([0.6, 0.4, 0.1, 0.9]), hardLabels: i32([0, -1]), weights: f32([1, 3]) };
    const { loss } = lossOf([0.5, -0.5, 0, 2], 2, targets, { temperature: 1, alpha: 0.3, loss: 'kl' });
    expect(loss).toBeCloseTo(0.0592233251, 6);
  });

  it("'mse': squared error between centred student logits and centred teacher log-probs", () => {
    const targets = { softTargets: f32([0.2, 0.3, 0.5]), hardLabels: i32([-1]), weights: f32([1]) };
    const { loss, grad } = lossOf([1, 2, 3], 3, targets, { temperature: 4, alpha: 0.5, loss: 'mse' });
    expect(loss).toBeCloseTo(0.1963543429, 6);
    expect(grad[0]).toBeCloseTo(-0.3729431467, 6);
    expect(grad[1]).toBeCloseTo(0.0234134479, 6);
    expect(grad[2]).toBeCloseTo(0.3495296987, 6);
    // Shifting all student logits by a constant changes nothing (the softmax would not change either).
    expect(lossOf([11, 12, 13], 3, targets, { temperature: 4, alpha: 0.5, loss: 'mse' }).loss).toBeCloseTo(0.1963543429, 5);
  });

  it('gradient matches finite differences for a mixed 4-class batch (kl and mse)', () => {
    const C = 4;
    const logits = [0.3, -1.2, 2.0, 0.1, 1.5, 0.2, -0.7, 0.9, -0.4, 0.8, 0.0, -2.0];
    const targets: DistillTargets = {
      softTargets: f32([0.1, 0.2, 0.6, 0.1, 0.25, 0.25, 0.25, 0.25, 0, 0.9, 0.1, 0]),
      softMask: new Uint8Array([1, 0, 1]),
      hardLabels: i32([2, 3, -1]),
      weights: f32([1, 5, 2]),
    };
    for (const loss of ['kl', 'mse'] as const) {
      const settings = { temperature: 2.5, alpha: 0.4, loss };
      const { grad } = lossOf(logits, C, targets, settings);
      const h = 1e-3;
      for (let j = 0; j < logits.length; j++) {
        const up = [...logits];
        const down = [...logits];
        up[j] += h;
        down[j] -= h;
        const numeric = (lossOf(up, C, targets, settings).loss - lossOf(down, C, targets, settings).loss) / (2 * h);
        expect(grad[j]).toBeCloseTo(numeric, 4);
      }
    }
  });

  it('refuses an example with neither a soft target nor a hard label', () => {
    const targets = { softTargets: f32([0.5, 0.5]), softMask: new Uint8Array([0]), hardLabels: i32([-1]), weights: f32([1]) };
    expect(() => lossOf([0, 0], 2, targets, { temperature: 1, alpha: 0.5, loss: 'kl' })).toThrow(/neither/);
  });
});

describe('combineTeachers', () => {
  it('is the weighted mixture of the teachers, row by row', () => {
    const combined = combineTeachers([f32([0.9, 0.1, 0.2, 0.8]), f32([0.5, 0.5, 0.6, 0.4])], [3, 1]);
    expect(Array.from(combined).map((x) => +x.toFixed(6))).toEqual([0.8, 0.2, 0.3, 0.7]);
  });

  it('defaults to equal weights and rejects mismatched teachers', () => {
    expect(Array.from(combineTeachers([f32([1, 0]), f32([0, 1])]))).toEqual([0.5, 0.5]);
    expect(() => combineTeachers([f32([1, 0]), f32([1, 0, 0, 1])])).toThrow();
    expect(() => combineTeachers([f32([1, 0])], [0])).toThrow();
  });
});

describe('mixTeachers', () => {
  it('takes the only teacher that speaks, mixes where several do, and marks items no teacher covers', () => {
    const a = { probs: f32([0.9, 0.1, 0.2, 0.8, 0, 0]), has: Uint8Array.of(1, 1, 0), weight: 3 };
    const b = { probs: f32([0.5, 0.5, 0.6, 0.4, 0, 0]), has: Uint8Array.of(1, 0, 0), weight: 1 };
    const { probs, has } = mixTeachers([a, b], 3, 2);
    expect(Array.from(has)).toEqual([1, 1, 0]);
    expect(Array.from(probs).map((x) => +x.toFixed(6))).toEqual([0.8, 0.2, 0.2, 0.8, 0, 0]);
  });
});

describe('prepareDistillationTargets', () => {
  it('a human label overrules the teacher: hard label, no soft target, weight 2 by default', () => {
    const t = prepareDistillationTargets({ numClasses: 2, teacherProbs: f32([0.9, 0.1, 0.3, 0.7, 0.5, 0.5]), humanLabels: i32([-1, 0, -1]) });
    expect(Array.from(t.hardLabels)).toEqual([-1, 0, -1]);
    expect(Array.from(t.softMask)).toEqual([1, 0, 1]);
    expect(Array.from(t.weights)).toEqual([1, 2, 1]);
  });

  it('can keep the teacher next to the human label, with a custom weight and base weights', () => {
    const t = prepareDistillationTargets({
      numClasses: 2,
      teacherProbs: f32([0.9, 0.1, 0.3, 0.7]),
      humanLabels: i32([1, -1]),
      humanWeight: 10,
      keepTeacherForHuman: true,
      baseWeights: f32([2, 3]),
    });
    expect(Array.from(t.softMask)).toEqual([1, 1]);
    expect(Array.from(t.weights)).toEqual([20, 3]);
  });

  it('with 5× weight, a human label pulls the loss gradient harder than a teacher label', () => {
    const t = prepareDistillationTargets({ numClasses: 2, teacherProbs: f32([0.9, 0.1, 0.9, 0.1]), humanLabels: i32([1, -1]), humanWeight: 5 });
    const grad = new Float32Array(4);
    distillationLoss(f32([0, 0, 0, 0]), 2, [0, 1], t, { temperature: 1, alpha: 0.5, loss: 'kl' }, grad);
    // Human row: (5/6)·(0.5 − 1) on class 1; teacher row: (1/6)·(0.5 − 0.1).
    expect(grad[1]).toBeCloseTo((5 / 6) * -0.5, 6);
    expect(grad[3]).toBeCloseTo((1 / 6) * 0.4, 6);
  });
});
