import { describe, expect, it } from 'vitest';
import { checkVector, softmax, splitVectorCell, vectorTokens } from './teacher.ts';

const labels = ['safe', 'offensive'];

describe('splitVectorCell', () => {
  it('reads JSON arrays, semicolons, spaces and commas', () => {
    expect(splitVectorCell('[0.1,0.9]')).toEqual([0.1, 0.9]);
    expect(splitVectorCell(' [ 0.1 , 0.9 ] ')).toEqual([0.1, 0.9]);
    expect(splitVectorCell('0.25;0.75')).toEqual([0.25, 0.75]);
    expect(splitVectorCell('1e-3 9.99e-1')).toEqual([0.001, 0.999]);
    expect(splitVectorCell('-1.5;+2')).toEqual([-1.5, 2]);
    expect(splitVectorCell('')).toEqual([]);
    expect(splitVectorCell('[]')).toEqual([]);
  });
  it('turns non-numbers into NaN and infinities into Infinity', () => {
    const v = splitVectorCell('NaN;abc;inf;-Infinity;0x10');
    expect(v[0]).toBeNaN();
    expect(v[1]).toBeNaN();
    expect(v[2]).toBe(Infinity);
    expect(v[3]).toBe(-Infinity);
    expect(v[4]).toBeNaN();
    expect(vectorTokens('[NaN; abc]')).toEqual(['NaN', 'abc']);
  });
});

describe('softmax', () => {
  it('turns logits into probabilities, stable for large values', () => {
    const p = softmax([1.2, -0.3]);
    expect(p[0]).toBeCloseTo(Math.exp(1.2) / (Math.exp(1.2) + Math.exp(-0.3)), 12);
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
    const big = softmax([1000, 1000, 999]);
    expect(big.every(Number.isFinite)).toBe(true);
    expect(big[0]).toBeCloseTo(big[1], 12);
  });
});

describe('checkVector', () => {
  const bad = (r: ReturnType<typeof checkVector>) => (r.ok ? 'ok' : r.reason);
  it('accepts probabilities summing to 1 within 1e-3', () => {
    expect(checkVector('bert', 'probs', [0.2, 0.8], labels)).toEqual({ ok: true, probs: [0.2, 0.8] });
    expect(checkVector('bert', 'probs', [0.2, 0.8009], labels).ok).toBe(true);
  });
  it('converts logits with softmax', () => {
    const r = checkVector('old', 'logits', [0, 0], labels);
    expect(r).toEqual({ ok: true, probs: [0.5, 0.5] });
  });
  it('says which length was expected', () => {
    expect(bad(checkVector('bert', 'probs', [0.2, 0.3, 0.5], labels))).toBe('teacher "bert": expected 2 probabilities (safe, offensive), got 3');
    expect(bad(checkVector('old', 'logits', [1], labels))).toBe('teacher "old": expected 2 logits (safe, offensive), got 1');
  });
  it('names NaN, Infinity and non-numbers', () => {
    expect(bad(checkVector('bert', 'probs', [NaN, 1], labels, ['NaN', '1']))).toBe('teacher "bert": probs value 1 (safe) is NaN');
    expect(bad(checkVector('bert', 'probs', [0, Infinity], labels))).toBe('teacher "bert": probs value 2 (offensive) is Infinity');
    expect(bad(checkVector('bert', 'probs', [NaN, 1], labels, ['abc', '1']))).toBe('teacher "bert": probs value 1 (safe) "abc" is not a number');
    expect(bad(checkVector('bert', 'probs', ['0.5', 0.5], labels))).toBe('teacher "bert": probs value 1 (safe) "0.5" is not a number');
    expect(bad(checkVector('bert', 'logits', [null, 0.5], labels))).toBe('teacher "bert": logits value 1 (safe) is null, not a number');
  });
  it('rejects probabilities outside [0, 1] or not summing to 1', () => {
    expect(bad(checkVector('bert', 'probs', [-0.1, 1.1], labels))).toBe('teacher "bert": probability -0.1 (safe) is outside [0, 1]');
    expect(bad(checkVector('bert', 'probs', [0.3, 0.3], labels))).toMatch(/^teacher "bert": probabilities sum to 0.6, not 1 \(tolerance 0.001\)/);
    expect(bad(checkVector('bert', 'probs', [0.2, 0.802], labels))).toMatch(/sum to 1.002/);
  });
});
