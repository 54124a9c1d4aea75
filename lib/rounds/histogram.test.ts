import { describe, expect, it } from 'vitest';
import { histogram, niceCeil, quantile } from './histogram.ts';

describe('histogram', () => {
  it('bins several series on shared bins, the last bin holding the tail', () => {
    const h = histogram([{ name: 'a', values: [0, 0.01, 0.05, 0.09, 0.5] }, { name: 'b', values: [0.02, 0.02] }], { bins: 10, max: 0.1 });
    expect(h.binWidth).toBeCloseTo(0.01);
    expect(h.edges[0]).toBe(0);
    expect(h.series[0].counts).toEqual([1, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(h.series[1].counts).toEqual([0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    expect(h.series.map((s) => s.items)).toEqual([5, 2]);
  });

  it('picks a readable upper end from the 99th percentile so one extreme item does not squash the rest', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 999 ? 0.69 : (i % 100) / 1000));
    const h = histogram([{ name: 'x', values }]);
    expect(h.max).toBe(0.1);
    expect(h.series[0].counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(h.series[0].counts[19]).toBeGreaterThan(0);
  });

  it('niceCeil and quantile', () => {
    expect([0.0731, 0.2, 0.21, 3, 0].map(niceCeil)).toEqual([0.1, 0.2, 0.25, 5, 1]);
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
