import { describe, expect, it } from 'vitest';
import { pairedGain, per100Corrections, predictionAgreement, stoppingSignal, withinNoise, type PairedGain, type RoundReturn } from './returns.ts';

describe('pairedGain', () => {
  it('counts fixed and broken items over those with a reference and both decisions, with the paired standard error', () => {
    // 10 labelled items; the later student fixes items 0–2 and breaks item 3; item 10 has no label, item 11 no decision.
    const reference = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, -1, 1];
    const before = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, -1];
    const after = [0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1];
    const g = pairedGain(before, after, reference)!;
    expect(g.items).toBe(10);
    expect(g).toMatchObject({ fixed: 3, broke: 1, before: 0.7, after: 0.9 });
    expect(g.gain).toBeCloseTo(0.2);
    // d = (+1 ×3, −1 ×1, 0 ×6): mean 0.2, sample variance (4 − 10·0.04) / 9 = 0.4, se = √(0.4/10) = 0.2.
    expect(g.se).toBeCloseTo(0.2);
  });

  it('the same student twice gains exactly nothing with no spread; no labelled item gives null', () => {
    const g = pairedGain([0, 1, 1], [0, 1, 1], [0, 0, 1])!;
    expect(g).toMatchObject({ gain: 0, se: 0, fixed: 0, broke: 0, items: 3 });
    expect(withinNoise(g, 1.96)).toBe(true);
    expect(pairedGain([0, 1], [1, 0], [-1, -1])).toBeNull();
  });

  it('matches the standard error of a simulated paired difference', () => {
    // 1,000 items, the later student fixes 60 and breaks 20: gain 0.04, se ≈ √((80/1000 − 0.0016)·1000/999 / 1000).
    const n = 1000;
    const reference = new Int32Array(n);
    const before = new Int32Array(n);
    const after = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      before[i] = i < 60 ? 1 : 0;
      after[i] = i >= 60 && i < 80 ? 1 : 0;
    }
    const g = pairedGain(before, after, reference)!;
    expect(g.gain).toBeCloseTo(0.04);
    expect(g.se).toBeCloseTo(Math.sqrt(((80 / n - 0.0016) * n) / (n - 1) / n), 6);
  });
});

describe('predictionAgreement', () => {
  it('counts changed decisions and Cohen’s kappa, skipping undecided items', () => {
    const a = [0, 0, 1, 1, 0, -1];
    const b = [0, 1, 1, 1, 0, 1];
    const r = predictionAgreement(a, b, 2)!;
    expect(r).toMatchObject({ items: 5, changed: 1 });
    expect(r.changedShare).toBeCloseTo(0.2);
    // po = 0.8; pA = (3/5, 2/5), pB = (2/5, 3/5): pe = 0.48; kappa = 0.32 / 0.52.
    expect(r.kappa).toBeCloseTo(0.32 / 0.52);
    expect(predictionAgreement([0, 0], [0, 0], 2)!.kappa).toBe(1);
    expect(predictionAgreement([-1], [0], 2)).toBeNull();
  });
});

const gain = (g: number, se: number): PairedGain => ({ items: 1000, before: 0.8, after: 0.8 + g, gain: g, se, fixed: 0, broke: 0 });
const step = (roundNumber: number, g: PairedGain | null, kappa: number, corrections = 100): RoundReturn => ({
  roundNumber,
  previousRoundNumber: roundNumber - 1,
  corrections,
  gain: g,
  ...per100Corrections(g, corrections),
  pool: { items: 30000, changed: Math.round((1 - kappa) * 15000), changedShare: (1 - kappa) / 2, kappa },
});

describe('per100Corrections', () => {
  it('says accuracy points per 100 new labels, and nothing without new labels', () => {
    expect(per100Corrections(gain(0.01, 0.004), 200)).toEqual({ gainPer100: 0.5, gainPer100Se: 0.2 });
    expect(per100Corrections(gain(0.01, 0.004), 0)).toEqual({ gainPer100: null, gainPer100Se: null });
    expect(per100Corrections(null, 100)).toEqual({ gainPer100: null, gainPer100Se: null });
  });
});

describe('stoppingSignal', () => {
  it('is too early without a pair of consecutive students', () => {
    expect(stoppingSignal([]).state).toBe('too-early');
    expect(stoppingSignal([step(1, gain(0, 0.01), 0.999)], { window: 2 }).state).toBe('too-early');
  });

  it('keeps going while the students still change, even with a gain in noise', () => {
    const s = stoppingSignal([step(1, gain(0.001, 0.01), 0.95)]);
    expect(s.state).toBe('keep-going');
    expect(s.reason).toContain('κ 0.950 < 0.99');
  });

  it('keeps going while a stable student still gains beyond noise, and says so when it lost beyond noise', () => {
    expect(stoppingSignal([step(1, gain(0.03, 0.01), 0.995)]).state).toBe('keep-going');
    const lost = stoppingSignal([step(1, gain(-0.03, 0.01), 0.995)]);
    expect(lost.state).toBe('keep-going');
    expect(lost.reason).toContain('lost');
  });

  it('stops when predictions are stable and the gain is within noise', () => {
    const s = stoppingSignal([step(1, gain(0.05, 0.01), 0.9), step(2, gain(0.004, 0.005), 0.996)]);
    expect(s.state).toBe('stop');
    expect(s.reason).toMatch(/κ 0\.996 ≥ 0\.99.*\+0\.4 ± 0\.5 points, is within noise/);
  });

  it('with a window of 2, one quiet round is not enough', () => {
    const quiet = step(2, gain(0.0, 0.005), 0.996);
    expect(stoppingSignal([step(1, gain(0.05, 0.01), 0.9), quiet], { window: 2 }).state).toBe('keep-going');
    expect(stoppingSignal([step(1, gain(0.001, 0.01), 0.993), quiet], { window: 2 }).state).toBe('stop');
  });

  it('does not stop when the gain cannot be measured (no human labels on the test slice)', () => {
    const s = stoppingSignal([step(1, null, 0.999)]);
    expect(s.state).toBe('keep-going');
    expect(s.reason).toContain('no human labels on the test slice');
  });
});
