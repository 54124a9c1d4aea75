/**
 * Histograms for the dashboard, pure: several series on the same bins so that two students'
 * disagreement distributions can be drawn side by side.
 */

export interface Histogram {
  /** Lower edge of each bin; the last bin also holds everything at or above `max`. */
  edges: number[];
  binWidth: number;
  max: number;
  series: { name: string; items: number; counts: number[] }[];
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above x (a readable axis end). */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** The q-quantile (0…1) of values, by sorting a copy; NaN for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/**
 * Counts each series into `bins` equal bins from 0 to a shared, readable upper end: the nice
 * ceiling of the largest `tail` quantile over the series (so a few extreme items do not squash
 * the rest into one bar), or `max` when given; values at or above it go to the last bin.
 */
export function histogram(series: { name: string; values: ArrayLike<number> }[], opts: { bins?: number; max?: number; tail?: number } = {}): Histogram {
  const bins = opts.bins ?? 20;
  const tail = opts.tail ?? 0.99;
  const top = opts.max ?? niceCeil(Math.max(0, ...series.map((s) => (s.values.length ? quantile(s.values, tail) : 0))));
  const binWidth = top / bins;
  return {
    edges: Array.from({ length: bins }, (_, b) => b * binWidth),
    binWidth,
    max: top,
    series: series.map((s) => {
      const counts = new Array<number>(bins).fill(0);
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (!Number.isFinite(v)) continue;
        counts[Math.min(bins - 1, Math.max(0, Math.floor(v / binWidth)))]++;
      }
      return { name: s.name, items: s.values.length, counts };
    }),
  };
}
