import type { Db } from '../db/client.ts';
import { localDayStart } from './progress.ts';

export interface AnnotatorCounts {
  userId: number;
  email: string;
  name: string;
  /** Answers that stand (not undone): labelled + skipped + flagged. */
  total: number;
  labelled: number;
  skipped: number;
  flagged: number;
  /** Flags no lead has acted on yet. */
  openFlags: number;
  /** Answers since the start of the day (the viewer's time zone, `tzOffset`, else UTC). */
  today: number;
  /** Answers taken back by their annotator (undo). */
  undone: number;
  lastAnswerAt: string | null;
}

/**
 * Every annotator who answered in the phase, with their counts (most answers first). The review
 * page's agreement panel counts only annotators on items two or more people labelled, which is
 * 0 with overlap 1: these are the counts of everyone's work.
 */
export async function annotatorCounts(db: Db, phaseId: number, opts: { tzOffset?: number; now?: Date } = {}): Promise<AnnotatorCounts[]> {
  const start = localDayStart(opts.now ?? new Date(), opts.tzOffset ?? 0);
  const [byAction, today, undone, last, openFlags] = await Promise.all([
    db.annotation.groupBy({ by: ['userId', 'action'], where: { phaseId, undoneAt: null }, _count: { _all: true } }),
    db.annotation.groupBy({ by: ['userId'], where: { phaseId, undoneAt: null, createdAt: { gte: start } }, _count: { _all: true } }),
    // A lead sending a flag back also marks it undone; that is not the annotator's undo.
    db.annotation.groupBy({ by: ['userId'], where: { phaseId, undoneAt: { not: null }, resolution: null }, _count: { _all: true } }),
    db.annotation.groupBy({ by: ['userId'], where: { phaseId, undoneAt: null }, _max: { createdAt: true } }),
    db.annotation.groupBy({ by: ['userId'], where: { phaseId, action: 'flag', undoneAt: null, resolution: null }, _count: { _all: true } }),
  ]);
  const ids = [...new Set([...byAction.map((r) => r.userId), ...undone.map((r) => r.userId)])];
  const users = await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true, name: true } });
  const user = new Map(users.map((u) => [u.id, u]));
  const count = (rows: { userId: number; _count: { _all: number } }[], id: number) => rows.find((r) => r.userId === id)?._count._all ?? 0;
  const of = (id: number, action: string) => byAction.find((r) => r.userId === id && r.action === action)?._count._all ?? 0;
  return ids
    .map((id) => {
      const labelled = of(id, 'label');
      const skipped = of(id, 'skip');
      const flagged = of(id, 'flag');
      const at = last.find((r) => r.userId === id)?._max.createdAt;
      return {
        userId: id,
        email: user.get(id)?.email ?? `user ${id}`,
        name: user.get(id)?.name ?? '',
        total: labelled + skipped + flagged,
        labelled,
        skipped,
        flagged,
        openFlags: count(openFlags, id),
        today: count(today, id),
        undone: count(undone, id),
        lastAnswerAt: at ? at.toISOString() : null,
      };
    })
    .sort((a, b) => b.total - a.total || a.email.localeCompare(b.email));
}
