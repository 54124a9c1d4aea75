import { describe, expect, it } from 'vitest';
import { decide, decisionMargin, parseLabels, parsePhase } from './phase.ts';

describe('parsePhase', () => {
  it('reads the stored row once: labels, threshold as a number, the dependency', () => {
    const p = parsePhase({ id: 3, labels: '["race","region"]', threshold: '0.7', positiveLabel: null, dependsOnPhaseId: 1n, dependsOnLabel: 'offensive' });
    expect(p).toEqual({ id: 3, labels: ['race', 'region'], threshold: 0.7, positiveLabel: null, dependsOn: { phaseId: 1, label: 'offensive' } });
    expect(parsePhase({ id: 1, labels: '["a","b"]', threshold: null, positiveLabel: 'b' }).dependsOn).toBeNull();
  });
  it('rejects a label list that is not a non-empty list of strings', () => {
    for (const bad of ['[]', '{"a":1}', '[1,2]', 'not json']) expect(() => parseLabels(bad)).toThrow(/no valid label list/);
  });
});

describe('decide', () => {
  const probs = Float32Array.of(0.6, 0.4, 0.2, 0.8);
  it('is argmax without a threshold', () => {
    expect(Array.from(decide({ labels: ['safe', 'offensive'], threshold: null, positiveLabel: null }, probs))).toEqual([0, 1]);
  });
  it('is P(positive) ≥ threshold for a binary phase with one', () => {
    expect(Array.from(decide({ labels: ['safe', 'offensive'], threshold: 0.3, positiveLabel: 'offensive' }, probs))).toEqual([1, 1]);
    expect(Array.from(decide({ labels: ['offensive', 'safe'], threshold: 0.65, positiveLabel: 'offensive' }, probs))).toEqual([1, 1]);
  });
});

describe('decisionMargin', () => {
  it('is the top-two margin without a threshold', () => {
    const m = decisionMargin({ labels: ['a', 'b', 'c'], threshold: null, positiveLabel: null }, Float32Array.of(0.5, 0.3, 0.2, 0.34, 0.33, 0.33));
    expect(m[0]).toBeCloseTo(0.2, 6);
    expect(m[1]).toBeCloseTo(0.01, 6);
  });
  it('is the distance from the threshold, scaled to the room on its side, for a binary phase with one', () => {
    const phase = { labels: ['safe', 'offensive'], threshold: 0.3, positiveLabel: 'offensive' };
    const m = decisionMargin(phase, Float32Array.of(0.7, 0.3, 0.85, 0.15, 0, 1, 1, 0));
    expect(Array.from(m, (x) => Number(x.toFixed(4)))).toEqual([0, 0.5, 1, 1]);
  });
});
