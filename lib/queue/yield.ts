/**
 * The queue's yield: of the items people labelled, the share where they overruled the teacher
 * (and the student that ranked the queue). A good queue finds teacher errors several times more
 * often than random picks do; the random baseline is measured on the audit picks, items the
 * queue placed at random (the phase's audit share), so it needs no offline experiment.
 */
import type { Db } from '../db/client.ts';
import { decodeProbs } from '../db/probs.ts';
import { decide, phaseMeta } from '../tasks/phase.ts';

export interface YieldCounts {
  /** Label answers (not skips, flags or undone ones) with a known teacher decision. */
  answered: number;
  overruledTeacher: number;
  /** Answers where the student that ranked the queue had a score for the item. */
  withStudent: number;
  overruledStudent: number;
  /** overruledTeacher / answered, with its standard error (binomial). */
  teacherErrorRate: number | null;
  teacherErrorRateSe: number | null;
}

export interface RoundYield {
  /** The round whose student ranked the queue when these items were served (null: no student yet). */
  roundNumber: number | null;
  modelId: number | null;
  queue: YieldCounts;
  audit: YieldCounts;
}

export interface PhaseYield {
  phaseId: number;
  rounds: RoundYield[];
  queue: YieldCounts;
  /** The random baseline: audit picks only. */
  audit: YieldCounts;
  /** queue rate / audit rate, when both are known. */
  lift: number | null;
}

function counts(rows: { overruledTeacher: boolean; overruledStudent: boolean | null }[]): YieldCounts {
  const answered = rows.length;
  const overruledTeacher = rows.filter((r) => r.overruledTeacher).length;
  const withStudent = rows.filter((r) => r.overruledStudent !== null).length;
  const overruledStudent = rows.filter((r) => r.overruledStudent === true).length;
  const p = answered ? overruledTeacher / answered : null;
  return { answered, overruledTeacher, withStudent, overruledStudent, teacherErrorRate: p, teacherErrorRateSe: p === null ? null : Math.sqrt((p * (1 - p)) / answered) };
}

export async function queueYield(db: Db, phaseId: number): Promise<PhaseYield> {
  const phase = await phaseMeta(db, phaseId);
  const answers = await db.annotation.findMany({
    where: { phaseId, action: 'label', undoneAt: null, teacherLabel: { not: null } },
    select: { itemId: true, label: true, teacherLabel: true, modelId: true, audit: true },
  });
  const modelIds = [...new Set(answers.map((a) => a.modelId).filter((m): m is number => m != null))];
  const models = await db.studentModel.findMany({ where: { id: { in: modelIds } }, select: { id: true, round: { select: { number: true } } } });
  const roundOf = new Map(models.map((m) => [m.id, m.round.number]));
  const studentLabel = new Map<string, string>();
  for (const modelId of modelIds) {
    const items = answers.filter((a) => a.modelId === modelId).map((a) => a.itemId);
    const scores = await db.studentScore.findMany({ where: { modelId, itemId: { in: items } }, select: { itemId: true, probs: true } });
    for (const s of scores) {
      const p = decodeProbs(s.probs);
      if (p.length === phase.labels.length) studentLabel.set(`${modelId}:${s.itemId}`, phase.labels[decide(phase, p)[0]]);
    }
  }
  const rows = answers.map((a) => {
    const s = a.modelId != null ? studentLabel.get(`${a.modelId}:${a.itemId}`) : undefined;
    return { modelId: a.modelId, audit: a.audit, overruledTeacher: a.label !== a.teacherLabel, overruledStudent: s === undefined ? null : a.label !== s };
  });
  const byModel = new Map<number | null, typeof rows>();
  for (const r of rows) {
    const list = byModel.get(r.modelId) ?? [];
    list.push(r);
    byModel.set(r.modelId, list);
  }
  const rounds: RoundYield[] = [...byModel.entries()]
    .map(([modelId, list]) => ({ roundNumber: modelId != null ? (roundOf.get(modelId) ?? null) : null, modelId, queue: counts(list.filter((r) => !r.audit)), audit: counts(list.filter((r) => r.audit)) }))
    .sort((a, b) => (a.roundNumber ?? -1) - (b.roundNumber ?? -1));
  const queue = counts(rows.filter((r) => !r.audit));
  const audit = counts(rows.filter((r) => r.audit));
  const lift = queue.teacherErrorRate != null && audit.teacherErrorRate ? queue.teacherErrorRate / audit.teacherErrorRate : null;
  return { phaseId, rounds, queue, audit, lift };
}
