/**
 * Return on labels and when to stop, pure: what a round bought against people per 100 new human
 * labels (with its standard error), how much the student changed from the one before, and a
 * signal that further rounds stop paying.
 *
 * Both students scored every item of the phase (StudentScore), so consecutive students are
 * compared item by item: on the temporal test slice's human-labelled items for the gain (a paired
 * difference, far tighter than two independent accuracies), and on the pool for how many
 * predictions changed. The stopping rule is the "stabilizing predictions" criterion of Bloodgood
 * & Vijay-Shanker (2009; small-text's KappaAverage): stop once consecutive models agree on an
 * unlabelled stop set with Cohen's kappa ≥ 0.99 — here only while the gain against people is
 * also within noise, so a round that still measurably pays is never called the last.
 */
import { kappa as kappaFrom } from '../queue/kappa.ts';

/** Two students' decisions on the same items, scored against one set of reference labels. */
export interface PairedGain {
  /** Items with a reference label that both students scored. */
  items: number;
  /** Accuracy of the earlier and the later student on those items. */
  before: number;
  after: number;
  /** after − before. */
  gain: number;
  /** Standard error of the paired difference: sd(correct_after − correct_before) / √n. */
  se: number;
  /** Items the later student gets right and the earlier one got wrong, and the reverse. */
  fixed: number;
  broke: number;
}

/**
 * The later student's accuracy gain over the earlier one on the items with a reference label
 * (≥ 0) and a decision from both (≥ 0). null when there is no such item.
 */
export function pairedGain(before: ArrayLike<number>, after: ArrayLike<number>, reference: ArrayLike<number>): PairedGain | null {
  let n = 0;
  let rightBefore = 0;
  let rightAfter = 0;
  let fixed = 0;
  let broke = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i];
    if (r < 0 || before[i] < 0 || after[i] < 0) continue;
    n++;
    const b = before[i] === r;
    const a = after[i] === r;
    if (b) rightBefore++;
    if (a) rightAfter++;
    if (a && !b) fixed++;
    if (b && !a) broke++;
  }
  if (!n) return null;
  const gain = (fixed - broke) / n;
  // d_i ∈ {−1, 0, 1}: Σd² = fixed + broke; sample variance (n − 1); one item has no spread to measure.
  const variance = n > 1 ? Math.max(0, (fixed + broke - n * gain * gain) / (n - 1)) : 0;
  return { items: n, before: rightBefore / n, after: rightAfter / n, gain, se: Math.sqrt(variance / n), fixed, broke };
}

/** How far two students' decisions on the same items agree. */
export interface PredictionAgreement {
  items: number;
  changed: number;
  changedShare: number;
  /** Cohen's kappa between the two students' decisions (1 = the same up to chance). */
  kappa: number;
}

/** Agreement of two decision vectors over the items both decided (≥ 0); null when none. */
export function predictionAgreement(a: ArrayLike<number>, b: ArrayLike<number>, numClasses: number): PredictionAgreement | null {
  const ca = new Float64Array(numClasses);
  const cb = new Float64Array(numClasses);
  let n = 0;
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || b[i] < 0) continue;
    n++;
    ca[a[i]]++;
    cb[b[i]]++;
    if (a[i] !== b[i]) changed++;
  }
  if (!n) return null;
  let pe = 0;
  for (let c = 0; c < numClasses; c++) pe += (ca[c] / n) * (cb[c] / n);
  const po = (n - changed) / n;
  return { items: n, changed, changedShare: changed / n, kappa: kappaFrom(po, pe) };
}

/** What one round bought over the student before it. */
export interface RoundReturn {
  roundNumber: number;
  /** The round it is compared with (the phase's previous round that trained a student). */
  previousRoundNumber: number;
  /** New human labels this round trained on beyond the previous one (may be 0). */
  corrections: number;
  /** Against human labels on the temporal test slice, paired; null without labelled test items. */
  gain: PairedGain | null;
  /** 100 × gain / corrections and its standard error, in accuracy points (null without new labels). */
  gainPer100: number | null;
  gainPer100Se: number | null;
  /** Agreement with the previous student over the pool (train split). */
  pool: PredictionAgreement | null;
}

/** Gain per 100 corrections in accuracy points (×100), with its standard error scaled alike. */
export function per100Corrections(gain: PairedGain | null, corrections: number): { gainPer100: number | null; gainPer100Se: number | null } {
  if (!gain || !(corrections > 0)) return { gainPer100: null, gainPer100Se: null };
  return { gainPer100: (100 * 100 * gain.gain) / corrections, gainPer100Se: (100 * 100 * gain.se) / corrections };
}

export interface StoppingOptions {
  /** Consecutive students agreeing at least this much over the pool count as stable. */
  kappaThreshold: number;
  /** A gain within z standard errors of 0 is noise (1.96: a two-sided 95% interval). */
  z: number;
  /** How many of the latest rounds must all be stable and within noise. */
  window: number;
}

export const DEFAULT_STOPPING: StoppingOptions = { kappaThreshold: 0.99, z: 1.96, window: 1 };

export interface StoppingSignal {
  /** too-early: not enough rounds to say; keep-going: the last round(s) still changed or paid; stop: both quiet. */
  state: 'too-early' | 'keep-going' | 'stop';
  reason: string;
  options: StoppingOptions;
}

/** A number with its sign, as gains are written: +0.9, −0.5 (a true minus sign). */
export const signed = (x: number, digits = 1) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
/** A share (0.009) as signed accuracy points (+0.9). */
const pts = (x: number) => signed(100 * x);

/** Whether the gain is within z standard errors of zero (a zero gain with zero spread is noise too). */
export function withinNoise(gain: PairedGain, z: number): boolean {
  return Math.abs(gain.gain) <= z * gain.se;
}

/**
 * Whether further rounds stop paying, from the rounds' returns in order (oldest first): stop when
 * each of the last `window` rounds changed the pool's predictions less than the kappa threshold
 * allows and gained against people no more than noise.
 */
export function stoppingSignal(returns: readonly RoundReturn[], options: Partial<StoppingOptions> = {}): StoppingSignal {
  const o = { ...DEFAULT_STOPPING, ...options };
  const last = returns.slice(-o.window);
  if (last.length < o.window || last.some((r) => !r.pool)) {
    return { state: 'too-early', reason: `needs ${o.window === 1 ? 'two rounds with students' : `${o.window + 1} rounds with students`} to compare consecutive students`, options: o };
  }
  const r = last[last.length - 1];
  const unstable = last.find((x) => x.pool!.kappa < o.kappaThreshold);
  if (unstable) {
    return { state: 'keep-going', reason: `round ${unstable.roundNumber} still changed ${(100 * unstable.pool!.changedShare).toFixed(1)}% of the pool's predictions (κ ${unstable.pool!.kappa.toFixed(3)} < ${o.kappaThreshold})`, options: o };
  }
  const unmeasured = last.find((x) => !x.gain);
  if (unmeasured) return { state: 'keep-going', reason: `predictions are stable, but round ${unmeasured.roundNumber}'s gain cannot be measured: no human labels on the test slice`, options: o };
  const paying = last.find((x) => !withinNoise(x.gain!, o.z));
  if (paying) {
    const g = paying.gain!;
    return {
      state: 'keep-going',
      reason: g.gain > 0 ? `round ${paying.roundNumber} still gained ${pts(g.gain)} ± ${(100 * g.se).toFixed(1)} points against people, beyond noise` : `round ${paying.roundNumber} lost ${pts(g.gain)} ± ${(100 * g.se).toFixed(1)} points against people, beyond noise: look at it before going on`,
      options: o,
    };
  }
  const g = r.gain!;
  return {
    state: 'stop',
    reason: `further rounds stop paying: round ${r.roundNumber} changed ${(100 * r.pool!.changedShare).toFixed(2)}% of the pool's predictions (κ ${r.pool!.kappa.toFixed(3)} ≥ ${o.kappaThreshold}) and its gain against people, ${pts(g.gain)} ± ${(100 * g.se).toFixed(1)} points, is within noise`,
    options: o,
  };
}
