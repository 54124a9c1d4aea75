import { describe, expect, it } from 'vitest';
import { roundConfigSchema } from './config.ts';
import { better, epochScore, meanLogLikelihood, patienceSpent, type EpochChoice } from './select.ts';

const labels = Int32Array.from([0, 1, 1, 0]);
const decisionsOf = (probs: Float32Array) => Int32Array.from({ length: probs.length / 2 }, (_, i) => (probs[2 * i + 1] > probs[2 * i] ? 1 : 0));

// Two epochs that decide the same items right (3 of 4): epoch A barely, epoch B with conviction.
const epochA = Float32Array.from([0.55, 0.45, 0.45, 0.55, 0.6, 0.4, 0.52, 0.48]);
const epochB = Float32Array.from([0.9, 0.1, 0.1, 0.9, 0.55, 0.45, 0.95, 0.05]);

describe('choosing the epoch on the validation slice', () => {
  it('mean log-likelihood of the labels', () => {
    expect(meanLogLikelihood(Float32Array.from([0.5, 0.5, 0.2, 0.8]), Int32Array.from([0, 1]), 2)).toBeCloseTo((Math.log(0.5) + Math.log(0.8)) / 2, 6);
    // A zero probability is floored, not -Infinity.
    expect(Number.isFinite(meanLogLikelihood(Float32Array.from([1, 0]), Int32Array.from([1]), 2))).toBe(true);
  });

  it('accuracy cannot tell two epochs apart that decide the same items; the log-likelihood can', () => {
    const accA = epochScore('accuracy', epochA, labels, 2, decisionsOf(epochA));
    const accB = epochScore('accuracy', epochB, labels, 2, decisionsOf(epochB));
    expect(accA).toBe(0.75);
    expect(accB).toBe(0.75);
    const llA = epochScore('loss', epochA, labels, 2, decisionsOf(epochA));
    const llB = epochScore('loss', epochB, labels, 2, decisionsOf(epochB));
    expect(llB).toBeGreaterThan(llA);
  });

  it('the accuracy criterion counts the decisions it is given (a phase threshold decides, not argmax)', () => {
    expect(epochScore('accuracy', epochA, labels, 2, Int32Array.from([0, 0, 0, 0]))).toBe(0.5);
  });

  it('a higher score wins, a tie goes to the later epoch, a lower score does not', () => {
    const first: EpochChoice = { epoch: 1, score: -0.4, accuracy: 0.8 };
    expect(better(null, first)).toBe(true);
    expect(better(first, { epoch: 2, score: -0.3, accuracy: 0.8 })).toBe(true);
    expect(better(first, { epoch: 2, score: -0.4, accuracy: 0.7 })).toBe(true);
    expect(better(first, { epoch: 2, score: -0.5, accuracy: 0.9 })).toBe(false);
  });

  it('early stopping after `patience` epochs without a new best; never with patience 0', () => {
    const best: EpochChoice = { epoch: 3, score: 0, accuracy: 0 };
    expect(patienceSpent(best, 4, 2)).toBe(false);
    expect(patienceSpent(best, 5, 2)).toBe(true);
    expect(patienceSpent(best, 12, 0)).toBe(false);
    expect(patienceSpent(null, 12, 2)).toBe(false);
  });

  it('a round config takes selectBy and defaults to loss, with human labels weighing 2', () => {
    const defaults = roundConfigSchema.parse({});
    expect(defaults.selectBy).toBe('loss');
    expect(defaults.humanWeight).toBe(2);
    expect(roundConfigSchema.parse({ selectBy: 'accuracy' }).selectBy).toBe('accuracy');
    expect(() => roundConfigSchema.parse({ selectBy: 'f1' })).toThrow();
  });
});
