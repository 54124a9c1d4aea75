import { describe, expect, it } from 'vitest';
import { testSliceSize } from './split.ts';

describe('testSliceSize', () => {
  it('is the ceiling of fraction × items', () => {
    expect(testSliceSize(10, 0.1)).toBe(1);
    expect(testSliceSize(11, 0.1)).toBe(2);
    expect(testSliceSize(5, 0.3)).toBe(2);
    expect(testSliceSize(0, 0.1)).toBe(0);
  });
  it('does not round 0.1 × 30 = 3.0000000000000004 up to 4', () => {
    expect(testSliceSize(30, 0.1)).toBe(3);
    expect(testSliceSize(70, 0.1)).toBe(7);
  });
  it('clamps the fraction to [0, 1]', () => {
    expect(testSliceSize(10, 0)).toBe(0);
    expect(testSliceSize(10, 1)).toBe(10);
    expect(testSliceSize(10, 1.5)).toBe(10);
    expect(testSliceSize(10, -1)).toBe(0);
  });
});
