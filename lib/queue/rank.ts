/**
 * Ordering a phase's scored pool into the disagreement queue. Pure: the database side
 * (lib/queue/rebuild.ts) loads the candidates and writes the result.
 */

import { Rng } from '../ml/rng.ts';

export const QUEUE_STRATEGIES = ['doubt', 'js', 'kl', 'flip', 'margin', 'loss'] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

export function isQueueStrategy(s: unknown): s is QueueStrategy {
  return typeof s === 'string' && (QUEUE_STRATEGIES as readonly string[]).includes(s);
}

/** One pool item with the current student's disagreement scores (zeros when no student yet). */
export interface Candidate {
  itemId: number;
  textHash: string;
  /** The teacher's decision at the phase's threshold; null when the item has no teacher output. */
  teacherLabel: string | null;
  js: number;
  kl: number;
  flip: boolean;
  margin: number;
  loss: number;
  /** 1 − the teacher's label's share of the product of teacher and student (lib/ml/metrics.ts); 0 for rows scored before it existed. */
  doubt?: number;
  /** Distinct annotators whose (non-undone) label or flag counts toward the overlap. */
  answers: number;
  /**
   * How far the teacher's decision is from flipping, in [0, 1] (lib/tasks/phase.ts decisionMargin);
   * null without a teacher output. Ranks the queue before any student exists.
   */
  teacherMargin?: number | null;
  /** A lead adjudicated the item: it is settled whatever the answer count. */
  adjudicated?: boolean;
  /**
   * The item already carries a label people gave (imported gold, adjudicated): handing it out
   * again spends an annotator on a settled question, so it stays out unless the phase re-labels
   * trusted items for QA.
   */
  trusted?: boolean;
}

export interface RankOptions {
  strategy: QueueStrategy;
  /**
   * 'student' (default): the strategy's disagreement scores. 'teacher': no student has scored the
   * pool yet, so every disagreement score is zero; the items the teacher is least sure about come
   * first instead (they are the likeliest teacher errors), items without a teacher output last.
   */
  by?: 'student' | 'teacher';
  /** Annotators per item (k): items with k answers leave the queue. */
  overlap: number;
  /** label → relative share; labels not named get the mean share of the named ones (1 if none); 0 keeps a class out. */
  quotas?: Record<string, number> | null;
  /** QA: keep items with a trusted label in the queue (default: leave them out). */
  relabelTrusted?: boolean;
  /**
   * Share of queue places given to items drawn at random from the open pool (0 = none, e.g.
   * 0.05 = one in twenty). Their answers estimate the teacher's base error rate.
   */
  auditShare?: number;
  /** Seed of the audit draw (the same pool and seed give the same queue). */
  seed?: number;
}

export interface Ranked {
  itemId: number;
  rank: number;
  teacherLabel: string | null;
  answers: number;
  /** Placed at random as an audit pick, not by the strategy. */
  audit?: boolean;
}

/**
 * Higher = sooner. Each strategy asks a different question of the student:
 * js/kl — where its distribution departs most from the teacher's; flip — where it would decide
 * differently (then by js, so the strongest flips lead); margin — where it is least sure;
 * loss — where it fits the teacher's label worst; doubt (default) — where the teacher's label is
 * least likely once both models are heard (a confident teacher is doubted only as far as the
 * student contradicts it: more teacher errors per pick than loss, which also serves every item the
 * student is merely unsure about).
 */
export function priority(c: Pick<Candidate, 'js' | 'kl' | 'flip' | 'margin' | 'loss' | 'doubt'>, strategy: QueueStrategy): number {
  switch (strategy) {
    case 'doubt':
      return c.doubt ?? 0;
    case 'js':
      return c.js;
    case 'kl':
      return c.kl;
    case 'flip':
      // js is at most ln 2 < 1, so +1 puts every flip ahead of every non-flip.
      return (c.flip ? 1 : 0) + c.js;
    case 'margin':
      return -c.margin;
    case 'loss':
      return c.loss;
  }
}

/** Before any student: the teacher's least sure decisions first; without a teacher output, after all of those (then import order). */
export function teacherPriority(c: Pick<Candidate, 'teacherMargin'>): number {
  return c.teacherMargin == null || !Number.isFinite(c.teacherMargin) ? -1 : 1 - c.teacherMargin;
}

const NO_LABEL = '\u0000none';

/** Each class's share of the queue, normalised to sum to 1 over the classes present. */
export function classShares(classes: string[], quotas?: Record<string, number> | null): Map<string, number> {
  const named = quotas ? Object.values(quotas).filter((v) => Number.isFinite(v) && v >= 0) : [];
  const fallback = named.length ? named.reduce((a, b) => a + b, 0) / named.length || 1 : 1;
  const raw = classes.map((c) => {
    const q = quotas && c in quotas ? quotas[c] : undefined;
    return q != null && Number.isFinite(q) && q >= 0 ? q : fallback;
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return new Map(classes.map((c, i) => [c, sum > 0 ? raw[i] / sum : 0]));
}

/**
 * The queue order: drop settled items (k answers, or adjudicated) and near-duplicates (same
 * normalised-text hash: only the highest-priority copy stays, the same text taught twice teaches
 * once), order each teacher class by the strategy, then interleave classes by quota — the r-th
 * item of a class with share s is placed at r / s — so that a class the student gets wrong en
 * masse cannot push every other class out of the annotators' day.
 */
export function rankQueue(candidates: Candidate[], opts: RankOptions): Ranked[] {
  const k = Math.max(1, Math.trunc(opts.overlap));
  const n = candidates.length;
  // Index arrays rather than objects: a pool is up to millions of items.
  const prio = new Float64Array(n);
  for (let i = 0; i < n; i++) prio[i] = opts.by === 'teacher' ? teacherPriority(candidates[i]) : priority(candidates[i], opts.strategy);
  const byPriority = (a: number, b: number) => prio[b] - prio[a] || candidates[a].itemId - candidates[b].itemId;

  const open: number[] = [];
  for (let i = 0; i < n; i++) {
    const ci = candidates[i];
    if (ci.answers < k && !ci.adjudicated && (opts.relabelTrusted || !ci.trusted)) open.push(i);
  }
  open.sort(byPriority);
  const seen = new Set<string>();
  const classes = new Map<string, number[]>();
  for (const i of open) {
    const c = candidates[i];
    if (seen.has(c.textHash)) continue;
    seen.add(c.textHash);
    const key = c.teacherLabel ?? NO_LABEL;
    let list = classes.get(key);
    if (!list) classes.set(key, (list = []));
    list.push(i);
  }
  const shares = classShares([...classes.keys()], opts.quotas);
  const idx: number[] = [];
  const pos = new Float64Array(n);
  for (const [label, list] of classes) {
    const share = shares.get(label)!;
    if (share <= 0) continue;
    for (let r = 0; r < list.length; r++) {
      pos[list[r]] = (r + 1) / share;
      idx.push(list[r]);
    }
  }
  idx.sort((a, b) => pos[a] - pos[b] || byPriority(a, b));
  const order = withAudit(idx, opts.auditShare ?? 0, opts.seed ?? 1);
  return order.map(({ i, audit }, rank) => ({ itemId: candidates[i].itemId, rank, teacherLabel: candidates[i].teacherLabel, answers: candidates[i].answers, ...(audit ? { audit: true } : {}) }));
}

/**
 * Every 1/share-th place goes to an item drawn uniformly from the whole ranked list (without
 * replacement; it is then not served again at its ranked place). Uniform over the open pool,
 * so the audit answers are an unbiased sample of the teacher's errors.
 */
export function withAudit(order: number[], share: number, seed: number): { i: number; audit: boolean }[] {
  if (!(share > 0) || order.length < 2) return order.map((i) => ({ i, audit: false }));
  const every = Math.max(2, Math.round(1 / Math.min(share, 0.5)));
  const rng = new Rng(seed);
  const taken = new Uint8Array(order.length);
  const out: { i: number; audit: boolean }[] = [];
  let next = 0;
  while (out.length < order.length) {
    if ((out.length + 1) % every === 0) {
      // Rejection sampling among the not yet placed; after 64 misses the place goes to the ranked order.
      let j = -1;
      for (let tries = 0; tries < 64 && j < 0; tries++) {
        const r = rng.int(order.length);
        if (!taken[r]) j = r;
      }
      if (j >= 0) {
        taken[j] = 1;
        out.push({ i: order[j], audit: true });
        continue;
      }
    }
    while (taken[next]) next++;
    taken[next] = 1;
    out.push({ i: order[next++], audit: false });
  }
  return out;
}

/**
 * The label an earlier phase gives a text, for a dependent phase's entry rule: the human label
 * if there is one, else the deployed student's decision, else the teacher's decision.
 */
export function earlierPhaseLabel(sources: { human?: string | null; deployed?: string | null; teacher?: string | null }): string | null {
  return sources.human ?? sources.deployed ?? sources.teacher ?? null;
}

/**
 * Keeps the candidates of a dependent phase whose text the earlier phase labelled
 * `dependsOnLabel` (items are matched across phases by normalised-text hash within the task).
 */
export function filterByDependency<T extends { textHash: string }>(items: T[], earlierLabels: Map<string, string | null>, dependsOnLabel: string): T[] {
  return items.filter((c) => earlierLabels.get(c.textHash) === dependsOnLabel);
}
