import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa, summarizeAgreement, type Rating } from './kappa.ts';

const rate = (annotator: string, labels: string[], from = 1): Rating[] => labels.map((label, i) => ({ itemId: from + i, annotator, label }));

describe('Cohen’s kappa', () => {
  it('matches a hand computation', () => {
    // A: x x y y, B: x y y y → po = 3/4; pe = .5·.25 + .5·.75 = .5; κ = (.75 − .5)/(1 − .5) = .5
    const r = [...rate('A', ['x', 'x', 'y', 'y']), ...rate('B', ['x', 'y', 'y', 'y'])];
    expect(cohenKappa(r, 'A', 'B')).toEqual({ items: 4, agreement: 0.75, kappa: 0.5 });
  });
  it('is 1 for perfect agreement, negative for systematic disagreement, null without shared items', () => {
    expect(cohenKappa([...rate('A', ['x', 'y']), ...rate('B', ['x', 'y'])], 'A', 'B')!.kappa).toBe(1);
    // po = 0, pe = .5·.5 + .5·.5 = .5 → κ = −1
    expect(cohenKappa([...rate('A', ['x', 'y']), ...rate('B', ['y', 'x'])], 'A', 'B')!.kappa).toBe(-1);
    expect(cohenKappa([...rate('A', ['x']), ...rate('B', ['x'], 5)], 'A', 'B')).toBeNull();
  });
});

describe('Fleiss’ kappa', () => {
  it('matches a hand computation', () => {
    // items: aaa (P=1), aab (1/3), bba (1/3), bbb (1) → P̄ = 2/3; p_a = p_b = 1/2 → P̄e = 1/2; κ = 1/3
    const r = [...rate('A', ['a', 'a', 'b', 'b']), ...rate('B', ['a', 'a', 'b', 'b']), ...rate('C', ['a', 'b', 'a', 'b'])];
    const f = fleissKappa(r)!;
    expect(f.items).toBe(4);
    expect(f.agreement).toBeCloseTo(2 / 3, 12);
    expect(f.kappa).toBeCloseTo(1 / 3, 12);
  });
  it('is 0 when observed agreement equals chance', () => {
    // aaa, aab, bba → P̄ = 5/9; p_a = 2/3, p_b = 1/3 → P̄e = 5/9
    const r = [...rate('A', ['a', 'a', 'b']), ...rate('B', ['a', 'a', 'b']), ...rate('C', ['a', 'b', 'a'])];
    expect(fleissKappa(r)!.kappa).toBeCloseTo(0, 12);
  });
  it('ignores items with a single rating', () => {
    expect(fleissKappa(rate('A', ['a', 'b']))).toBeNull();
  });
});

describe('summarizeAgreement', () => {
  it('two annotators: Cohen, no Fleiss; only overlapped items count', () => {
    const s = summarizeAgreement([...rate('A', ['x', 'x', 'y', 'y', 'z']), ...rate('B', ['x', 'y', 'y', 'y'])]);
    expect(s).toMatchObject({ items: 4, annotators: 2, percentAgreement: 0.75, cohenKappa: 0.5, fleissKappa: null });
    expect(s.pairs).toEqual([{ a: 'A', b: 'B', items: 4, agreement: 0.75, kappa: 0.5 }]);
  });
  it('three annotators: Fleiss and one pair per annotator pair', () => {
    const s = summarizeAgreement([...rate('A', ['a', 'a', 'b', 'b']), ...rate('B', ['a', 'a', 'b', 'b']), ...rate('C', ['a', 'b', 'a', 'b'])]);
    expect(s.cohenKappa).toBeNull();
    expect(s.fleissKappa).toBeCloseTo(1 / 3, 12);
    expect(s.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(['A-B', 'A-C', 'B-C']);
    expect(s.pairs[0].kappa).toBe(1);
  });
  it('no overlap: nothing to measure', () => {
    expect(summarizeAgreement(rate('A', ['a']))).toEqual({ items: 0, annotators: 0, percentAgreement: null, cohenKappa: null, fleissKappa: null, pairs: [] });
  });
});
