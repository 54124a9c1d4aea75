/**
 * A task at a glance: for each phase its latest round, the model it serves, the queue's size
 * and the labels people gave today. What a lead opens first in the morning.
 */
import type { Db } from '../db/client.ts';
import { servingState } from '../models/deploy.ts';
import { getRound, type RoundView } from '../rounds/rounds.ts';
import { getTask } from './tasks.ts';
import { localDayStart } from '../queue/progress.ts';
import { queueState } from '../queue/open-count.ts';

export interface PhaseOverview {
  phaseId: number;
  key: string;
  name: string;
  position: number;
  latestRound: Pick<RoundView, 'id' | 'number' | 'status' | 'trigger' | 'progress' | 'createdAt' | 'finishedAt'> & { f1VsTeacher: number | null; f1VsHuman: number | null; accuracyVsHuman: number | null; regression: boolean } | null;
  deployed: { modelId: number; version: string; since: Date } | null;
  queue: { open: number; total: number; builtAt: Date } | null;
  /** Label answers (not undone) since the start of the caller's day (lib/queue/progress.ts, as the annotator's own "today"), and in all. */
  labelsToday: number;
  labelsTotal: number;
}

export interface TaskOverview {
  taskId: number;
  slug: string;
  name: string;
  phases: PhaseOverview[];
}

/** `tzOffset`: the browser's getTimezoneOffset() in minutes, for where "today" starts (default UTC). */
export async function taskOverview(db: Db, idOrSlug: number | string, opts: { tzOffset?: number; now?: Date } = {}): Promise<TaskOverview> {
  const task = await getTask(db, idOrSlug);
  const today = localDayStart(opts.now ?? new Date(), opts.tzOffset ?? 0);
  const phases = await Promise.all(
    task.phases.map(async (p): Promise<PhaseOverview> => {
      const [last, serving, queue, labelsToday, labelsTotal] = await Promise.all([
        db.round.findFirst({ where: { phaseId: p.id }, orderBy: { number: 'desc' }, select: { id: true } }),
        servingState(db, p.id),
        queueState(db, p.id),
        db.annotation.count({ where: { phaseId: p.id, action: 'label', undoneAt: null, createdAt: { gte: today } } }),
        db.annotation.count({ where: { phaseId: p.id, action: 'label', undoneAt: null } }),
      ]);
      const r = last ? await getRound(db, last.id) : null;
      return {
        phaseId: p.id,
        key: p.key,
        name: p.name,
        position: p.position,
        latestRound: r && {
          id: r.id,
          number: r.number,
          status: r.status,
          trigger: r.trigger,
          progress: r.progress,
          createdAt: r.createdAt,
          finishedAt: r.finishedAt,
          f1VsTeacher: r.metrics?.vsTeacher?.macroF1 ?? null,
          f1VsHuman: r.metrics?.vsHuman?.macroF1 ?? null,
          accuracyVsHuman: r.metrics?.vsHuman?.accuracy ?? null,
          regression: Boolean(r.metrics?.regression?.flagged),
        },
        deployed: serving.live ? { modelId: serving.live.modelId, version: serving.live.version, since: serving.live.since } : null,
        queue: queue && { open: queue.open, total: queue.total, builtAt: queue.builtAt },
        labelsToday,
        labelsTotal,
      };
    }),
  );
  return { taskId: task.id, slug: task.slug, name: task.name, phases };
}
