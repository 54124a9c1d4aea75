import { describe, expect, it } from 'vitest';
import { classShares, earlierPhaseLabel, filterByDependency, rankQueue, type Candidate } from './rank.ts';

const c = (itemId: number, over: Partial<Candidate> = {}): Candidate => ({
  itemId,
  textHash: `h${itemId}`,
  teacherLabel: 'a',
  js: 0,
  kl: 0,
  flip: false,
  margin: 0.5,
  loss: 0,
  answers: 0,
  ...over,
});
const ids = (r: { itemId: number }[]) => r.map((x) => x.itemId);

describe('rankQueue strategies', () => {
  const pool = [
    c(1, { js: 0.1, kl: 0.9, flip: false, margin: 0.8, loss: 0.2 }),
    c(2, { js: 0.5, kl: 0.2, flip: false, margin: 0.05, loss: 0.1 }),
    c(3, { js: 0.3, kl: 0.3, flip: true, margin: 0.4, loss: 2.5 }),
    c(4, { js: 0.2, kl: 0.1, flip: true, margin: 0.3, loss: 1.0 }),
  ];
  it('js and kl: largest divergence first', () => {
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1 }))).toEqual([2, 3, 4, 1]);
    expect(ids(rankQueue(pool, { strategy: 'kl', overlap: 1 }))).toEqual([1, 3, 2, 4]);
  });
  it('flip: every flip before any non-flip, then by js', () => {
    expect(ids(rankQueue(pool, { strategy: 'flip', overlap: 1 }))).toEqual([3, 4, 2, 1]);
  });
  it('margin: least sure first; loss: worst fit first', () => {
    expect(ids(rankQueue(pool, { strategy: 'margin', overlap: 1 }))).toEqual([2, 4, 3, 1]);
    expect(ids(rankQueue(pool, { strategy: 'loss', overlap: 1 }))).toEqual([3, 4, 1, 2]);
  });
  it('doubt: the teacher label least likely first; rows scored before doubt existed (0) last', () => {
    const scored = [c(1, { doubt: 0.2 }), c(2, { doubt: 0.9 }), c(3), c(4, { doubt: 0.5 })];
    expect(ids(rankQueue(scored, { strategy: 'doubt', overlap: 1 }))).toEqual([2, 4, 1, 3]);
  });
  it('before any student (by: teacher): the least sure teacher decisions first, whatever the strategy; no teacher output last, in import order', () => {
    const cold = [c(1, { teacherMargin: 0.9 }), c(2, { teacherMargin: null }), c(3, { teacherMargin: 0.02 }), c(4, { teacherMargin: 0.4 }), c(5)];
    for (const strategy of ['js', 'loss', 'margin'] as const) expect(ids(rankQueue(cold, { strategy, overlap: 1, by: 'teacher' }))).toEqual([3, 4, 1, 2, 5]);
    // Without scores and without `by`, every item ties: import order.
    expect(ids(rankQueue(cold, { strategy: 'js', overlap: 1 }))).toEqual([1, 2, 3, 4, 5]);
  });
  it('ranks are 0..n-1 and ties break by item id', () => {
    const r = rankQueue([c(9), c(7), c(8)], { strategy: 'js', overlap: 1 });
    expect(r).toEqual([
      { itemId: 7, rank: 0, teacherLabel: 'a', answers: 0 },
      { itemId: 8, rank: 1, teacherLabel: 'a', answers: 0 },
      { itemId: 9, rank: 2, teacherLabel: 'a', answers: 0 },
    ]);
  });
});

describe('rankQueue quotas, duplicates, overlap', () => {
  // Class a disagrees far more than class b: without quotas it would fill the queue's head.
  const pool = [
    ...[1, 2, 3, 4, 5, 6].map((i) => c(i, { teacherLabel: 'a', js: 0.6 - i * 0.01 })),
    c(7, { teacherLabel: 'b', js: 0.05 }),
    c(8, { teacherLabel: 'b', js: 0.04 }),
  ];
  it('equal shares interleave the classes', () => {
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1 }))).toEqual([1, 7, 2, 8, 3, 4, 5, 6]);
  });
  it('a 3:1 quota gives class a three places for each of b', () => {
    // a at 4/3, 8/3, 4, 16/3, …; b at 4, 8: at 4 the tie goes to the higher-priority item.
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1, quotas: { a: 3, b: 1 } }))).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
  });
  it('a zero quota keeps a class out; unnamed classes get the mean share', () => {
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1, quotas: { a: 0 } }))).toEqual([7, 8]);
    expect([...classShares(['a', 'b', 'c'], { a: 2, b: 4 }).values()]).toEqual([2 / 9, 4 / 9, 3 / 9]);
    expect([...classShares(['a', 'b'], null).values()]).toEqual([0.5, 0.5]);
  });
  it('items without a teacher output form their own class', () => {
    const r = rankQueue([c(1, { js: 0.9 }), c(2, { js: 0.8 }), c(3, { teacherLabel: null, js: 0.1 })], { strategy: 'js', overlap: 1 });
    expect(ids(r)).toEqual([1, 3, 2]);
    expect(r[1].teacherLabel).toBeNull();
  });
  it('keeps only the highest-priority copy of a text', () => {
    const r = rankQueue([c(1, { js: 0.1, textHash: 'x' }), c(2, { js: 0.3, textHash: 'x' }), c(3, { js: 0.2 })], { strategy: 'js', overlap: 1 });
    expect(ids(r)).toEqual([2, 3]);
  });
  it('drops items answered by k annotators and adjudicated items, keeps partly answered ones', () => {
    const items = [c(1, { answers: 1, js: 0.9 }), c(2, { answers: 2 }), c(3, { adjudicated: true }), c(4)];
    expect(ids(rankQueue(items, { strategy: 'js', overlap: 1 }))).toEqual([4]);
    const r = rankQueue(items, { strategy: 'js', overlap: 2 });
    expect(ids(r)).toEqual([1, 4]);
    expect(r[0].answers).toBe(1);
  });
});

describe('dependent phases', () => {
  it('the earlier label is human, else deployed student, else teacher', () => {
    expect(earlierPhaseLabel({ human: 'safe', deployed: 'offensive', teacher: 'offensive' })).toBe('safe');
    expect(earlierPhaseLabel({ human: null, deployed: 'offensive', teacher: 'safe' })).toBe('offensive');
    expect(earlierPhaseLabel({ teacher: 'safe' })).toBe('safe');
    expect(earlierPhaseLabel({})).toBeNull();
  });
  it('keeps only texts the earlier phase labelled the dependency label', () => {
    const earlier = new Map<string, string | null>([
      ['h1', 'offensive'],
      ['h2', 'safe'],
      ['h3', null],
    ]);
    expect(ids(filterByDependency([c(1), c(2), c(3), c(4)], earlier, 'offensive'))).toEqual([1]);
  });
});

describe('rankQueue trusted labels and the audit sample', () => {
  // Items 1-3 carry imported gold labels and disagree most: they must not be served again.
  const pool = [c(1, { js: 0.9, trusted: true }), c(2, { js: 0.8, trusted: true }), c(3, { js: 0.7, trusted: true }), c(4, { js: 0.3 }), c(5, { js: 0.2 }), c(6, { js: 0.1 })];
  it('leaves items with a trusted label out of the queue', () => {
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1 }))).toEqual([4, 5, 6]);
  });
  it('keeps them when the phase re-labels trusted items (QA)', () => {
    expect(ids(rankQueue(pool, { strategy: 'js', overlap: 1, relabelTrusted: true }))).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('gives every 1/share-th place to a random audit pick, each item once', () => {
    const big = Array.from({ length: 200 }, (_, i) => c(i + 1, { js: 1 - i / 1000 }));
    const r = rankQueue(big, { strategy: 'js', overlap: 1, auditShare: 0.1, seed: 3 });
    expect(r).toHaveLength(200);
    expect(new Set(ids(r)).size).toBe(200);
    const audits = r.filter((x) => x.audit);
    expect(audits.length).toBeGreaterThanOrEqual(18);
    expect(audits.every((x) => (x.rank + 1) % 10 === 0)).toBe(true);
    // Drawn from the whole pool, not the head: some audit picks rank far back by priority.
    expect(audits.some((x) => x.itemId > 100)).toBe(true);
    // The non-audit places keep the strategy's order.
    const ranked = ids(r.filter((x) => !x.audit));
    expect(ranked).toEqual([...ranked].sort((a, b) => a - b));
    // Same pool, same seed → same queue.
    expect(rankQueue(big, { strategy: 'js', overlap: 1, auditShare: 0.1, seed: 3 })).toEqual(r);
  });
  it('no audit share, no audit picks', () => {
    expect(rankQueue(pool, { strategy: 'js', overlap: 1 }).some((x) => x.audit)).toBe(false);
  });
});
