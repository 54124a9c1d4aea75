/**
 * A phase's dashboard, read in one call: every round's row (metrics on the temporal test slice,
 * yield, training time, backend, throughput), what each round bought per 100 new human labels
 * and whether further rounds still pay, the disagreement distribution of the latest students
 * over the pool, and the human labels per round and per annotator.
 */
import type { Db } from '../db/client.ts';
import { placeholders, providerOf } from '../db/sql.ts';
import { servingState } from '../models/deploy.ts';
import { queueYield } from '../queue/yield.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { phaseMeta } from '../tasks/phase.ts';
import { getPhase } from '../tasks/tasks.ts';
import { newHumanLabels } from './auto.ts';
import { roundSummary, type RoundSummary } from './compare.ts';
import { histogram, type Histogram } from './histogram.ts';
import { pairedGain, per100Corrections, predictionAgreement, stoppingSignal, type RoundReturn, type StoppingSignal } from './returns.ts';
import { listRounds } from './rounds.ts';
import { alignDecisions, studentDecisions } from './student-decisions.ts';
import { queueState } from '../queue/open-count.ts';

export interface DashboardRound extends RoundSummary {
  /** The queue's yield while this round's student ranked it: share of labels that overruled the teacher. */
  yield: { answered: number; rate: number | null; se: number | null; auditAnswered: number; auditRate: number | null } | null;
  /** What this round bought over the previous round's student; null for the first student. */
  return: RoundReturn | null;
  /** Label answers made while this round's student ranked the queue. */
  labels: number;
  deployed: boolean;
}

export interface AnnotatorLabels {
  userId: number;
  name: string;
  labels: number;
  /** Labels that differed from the teacher's decision shown with the item. */
  overruledTeacher: number;
  /** Label answers per round whose student ranked the queue ('none': before any student). */
  byRound: Record<string, number>;
}

export interface PhaseDashboard {
  phase: { id: number; name: string; taskId: number; taskName: string; labels: string[]; autoRoundAfterLabels: number | null };
  rounds: DashboardRound[];
  stopping: StoppingSignal;
  /** JS divergence teacher ‖ student over the pool, for the latest two students; null without teacher outputs or students. */
  disagreement: (Histogram & { metric: 'js' }) | null;
  annotators: AnnotatorLabels[];
  /** Human labels since the last round started (what an automatic round waits for). */
  newLabels: number;
  queue: { open: number; total: number } | null;
}

/** Label answers (not undone) per annotator and per student that ranked the queue, with how many overruled the teacher. */
async function labelCounts(db: Db, phaseId: number) {
  const rows = await db.$queryRawUnsafe<{ userId: unknown; modelId: unknown; n: unknown; overruled: unknown }[]>(
    placeholders(
      providerOf(db),
      `SELECT "userId", "modelId", COUNT(*) AS n,
              SUM(CASE WHEN "teacherLabel" IS NOT NULL AND "label" <> "teacherLabel" THEN 1 ELSE 0 END) AS overruled
       FROM "Annotation" WHERE "phaseId" = $1 AND "action" = 'label' AND "undoneAt" IS NULL
       GROUP BY "userId", "modelId"`,
    ),
    phaseId,
  );
  return rows.map((r) => ({ userId: Number(r.userId), modelId: r.modelId == null ? null : Number(r.modelId), n: Number(r.n), overruled: Number(r.overruled ?? 0) }));
}

/** Item ids that have an output of one of the phase's teachers: where disagreement means something. */
async function itemsWithTeacher(db: Db, phaseId: number): Promise<Set<number>> {
  const teachers = await db.teacher.findMany({ where: { phaseId }, select: { id: true } });
  const out = new Set<number>();
  for (const t of teachers) {
    const rows = await db.$queryRawUnsafe<{ itemId: unknown }[]>(placeholders(providerOf(db), `SELECT "itemId" FROM "TeacherPrediction" WHERE "teacherId" = $1`), t.id);
    for (const r of rows) out.add(Number(r.itemId));
  }
  return out;
}

export async function phaseDashboard(db: Db, phaseId: number): Promise<PhaseDashboard> {
  const view = await getPhase(db, phaseId);
  const phase = await phaseMeta(db, phaseId);
  const C = phase.labels.length;
  const [rounds, y, serving, counts, settings, state, fresh] = await Promise.all([
    listRounds(db, phaseId),
    queueYield(db, phaseId),
    servingState(db, phaseId),
    labelCounts(db, phaseId),
    db.phase.findUniqueOrThrow({ where: { id: phaseId }, select: { autoRoundAfterLabels: true } }),
    queueState(db, phaseId),
    newHumanLabels(db, phaseId),
  ]);
  const ordered = [...rounds].sort((a, b) => a.number - b.number);
  const roundOfModel = new Map(ordered.filter((r) => r.modelId != null).map((r) => [r.modelId!, r.number]));

  // Consecutive students, item by item: today's human labels on the test slice, decisions over the pool.
  const withStudent = ordered.filter((r) => r.status === 'succeeded' && r.modelId != null);
  const latest = withStudent.slice(-2);
  const returns = new Map<number, RoundReturn>();
  const [rows, students, teacherItems] = withStudent.length
    ? await Promise.all([
        loadPhaseRows(db, phase, 'all', undefined, { teachers: false, texts: false }),
        Promise.all(withStudent.map((r) => studentDecisions(db, phase, r.modelId!))),
        itemsWithTeacher(db, phaseId),
      ])
    : [null, [], new Set<number>()];
  if (rows) {
    const ids = rows.ids;
    const decisions = new Map(students.map((s) => [s.modelId, alignDecisions(ids, s)]));
    const test = rows.test;
    const humanOnTest = Int32Array.from(rows.human, (h, i) => (test[i] ? h : -1));
    const pool = (d: Int32Array) => Int32Array.from(d, (x, i) => (test[i] ? -1 : x));
    for (let k = 1; k < withStudent.length; k++) {
      const prev = withStudent[k - 1];
      const cur = withStudent[k];
      const a = decisions.get(prev.modelId!)!;
      const b = decisions.get(cur.modelId!)!;
      const gain = pairedGain(a, b, humanOnTest);
      const corrections = Math.max(0, (cur.metrics?.humanLabelled ?? 0) - (prev.metrics?.humanLabelled ?? 0));
      returns.set(cur.number, { roundNumber: cur.number, previousRoundNumber: prev.number, corrections, gain, ...per100Corrections(gain, corrections), pool: predictionAgreement(pool(a), pool(b), C) });
    }
  }

  // Disagreement with the teacher over the pool (train split, teacher output present): the latest two students on shared bins.
  let disagreement: PhaseDashboard['disagreement'] = null;
  if (rows && teacherItems.size) {
    const pool = new Set<number>();
    for (let i = 0; i < rows.ids.length; i++) if (!rows.test[i] && teacherItems.has(rows.ids[i])) pool.add(rows.ids[i]);
    const series = latest.map((r) => {
      const s = students[withStudent.indexOf(r)];
      const values: number[] = [];
      for (let i = 0; i < s.itemIds.length; i++) if (pool.has(s.itemIds[i])) values.push(s.js[i]);
      return { name: `round ${r.number}`, values };
    });
    disagreement = { metric: 'js', ...histogram(series, { bins: 20 }) };
  }

  const yieldOf = new Map(y.rounds.map((r) => [r.roundNumber, r]));
  const labelsOf = new Map<number | null, number>();
  const byUser = new Map<number, AnnotatorLabels>();
  for (const c of counts) {
    const roundNumber = c.modelId != null ? (roundOfModel.get(c.modelId) ?? null) : null;
    labelsOf.set(roundNumber, (labelsOf.get(roundNumber) ?? 0) + c.n);
    const u = byUser.get(c.userId) ?? { userId: c.userId, name: '', labels: 0, overruledTeacher: 0, byRound: {} };
    u.labels += c.n;
    u.overruledTeacher += c.overruled;
    const key = roundNumber == null ? 'none' : String(roundNumber);
    u.byRound[key] = (u.byRound[key] ?? 0) + c.n;
    byUser.set(c.userId, u);
  }
  const users = await db.user.findMany({ where: { id: { in: [...byUser.keys()] } }, select: { id: true, name: true, email: true } });
  for (const u of users) byUser.get(u.id)!.name = u.name || u.email;

  return {
    phase: { id: phaseId, name: view.name, taskId: view.taskId, taskName: view.taskName, labels: phase.labels, autoRoundAfterLabels: settings.autoRoundAfterLabels },
    rounds: ordered.map((r) => {
      const yr = yieldOf.get(r.number);
      return {
        ...roundSummary(r),
        yield: yr ? { answered: yr.queue.answered, rate: yr.queue.teacherErrorRate, se: yr.queue.teacherErrorRateSe, auditAnswered: yr.audit.answered, auditRate: yr.audit.teacherErrorRate } : null,
        return: returns.get(r.number) ?? null,
        labels: labelsOf.get(r.number) ?? 0,
        deployed: r.modelId != null && serving.live?.modelId === r.modelId,
      };
    }),
    stopping: stoppingSignal([...returns.values()]),
    disagreement,
    annotators: [...byUser.values()].sort((a, b) => b.labels - a.labels),
    newLabels: fresh.count,
    queue: state ? { open: state.open, total: state.total } : null,
  };
}
