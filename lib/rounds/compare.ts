/**
 * Two rounds of a phase side by side: their metrics, how their students' decisions differ over
 * the pool and the test slice, the paired gain of the second over the first against people and
 * against the teacher, and the items whose prediction changed (text, both students'
 * distributions, the teacher's and any human label). One function behind
 * `GET /api/phases/:id/rounds/compare` and `round compare` in the CLI.
 */
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { placeholders, providerOf } from '../db/sql.ts';
import { decodeProbs } from '../db/probs.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { decide, phaseMeta } from '../tasks/phase.ts';
import { getRound, type RoundView } from './rounds.ts';
import { alignDecisions, studentDecisions } from './student-decisions.ts';
import { pairedGain, predictionAgreement, type PairedGain, type PredictionAgreement } from './returns.ts';

/** What a round's row shows, for one side of a comparison and the dashboard's table. */
export interface RoundSummary {
  roundId: number;
  number: number;
  status: string;
  trigger: string;
  modelId: number | null;
  arch: string;
  createdAt: Date;
  finishedAt: Date | null;
  trainExamples: number | null;
  humanLabelled: number | null;
  vsTeacher: Scores | null;
  vsHuman: Scores | null;
  trainSeconds: number | null;
  backend: string | null;
  /** Pool scoring with onnxruntime (items/s) and latency at batch 1. */
  itemsPerSecond: number | null;
  latencyP50Ms: number | null;
  regression: boolean;
}

export interface Scores {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  items: number;
}

export function roundSummary(r: RoundView): RoundSummary {
  const m = r.metrics;
  const scores = (x: NonNullable<RoundView['metrics']>['vsTeacher']): Scores | null => (x ? { accuracy: x.accuracy, precision: x.macroPrecision, recall: x.macroRecall, f1: x.macroF1, items: x.total } : null);
  return {
    roundId: r.id,
    number: r.number,
    status: r.status,
    trigger: r.trigger,
    modelId: r.modelId,
    // Rounds made outside `startRound` (tests, old rows) may carry a partial config.
    arch: (r.config as Partial<RoundView['config']>).model?.arch ?? '—',
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    trainExamples: m?.trainExamples ?? null,
    humanLabelled: m?.humanLabelled ?? null,
    vsTeacher: m ? scores(m.vsTeacher) : null,
    vsHuman: m ? scores(m.vsHuman) : null,
    trainSeconds: m?.trainSeconds ?? null,
    backend: r.backend,
    itemsPerSecond: m?.scoring?.itemsPerSecond ?? null,
    latencyP50Ms: m?.latency?.batch1P50Ms ?? null,
    regression: Boolean(m?.regression?.flagged),
  };
}

export interface ChangedItem {
  itemId: number;
  text: string;
  split: 'train' | 'test';
  teacher: { label: string; probs: number[] } | null;
  human: string | null;
  a: { label: string; probs: number[] };
  b: { label: string; probs: number[] };
  /** Against the human label: b fixed what a got wrong, broke what a got right, or (no label) just changed. */
  verdict: 'fixed' | 'broke' | 'changed';
}

export interface RoundComparison {
  phaseId: number;
  labels: string[];
  a: RoundSummary;
  b: RoundSummary;
  /** How much b's decisions differ from a's on the pool (train split) and on the test slice. */
  pool: PredictionAgreement | null;
  test: PredictionAgreement | null;
  /** b over a on the test slice, paired: against today's human labels, and against the teacher's decision. */
  gainVsHuman: PairedGain | null;
  gainVsTeacher: PairedGain | null;
  /** Items whose decision changed: counts over all of them, and the first `limit` (labelled test-slice items, other labelled items, then the largest moves). */
  changed: { total: number; fixed: number; broke: number; items: ChangedItem[] };
}

export const COMPARE_LIMIT_MAX = 500;

/** The query of GET /api/phases/:id/rounds/compare: two round numbers of the phase (0 is the first), and how many changed items to list. */
export const compareQuerySchema = z
  .object({
    a: z.coerce.number().int().min(0),
    b: z.coerce.number().int().min(0),
    limit: z.coerce.number().int().min(0).max(COMPARE_LIMIT_MAX).optional(),
  })
  .strict();

async function roundWithStudent(db: Db, phaseId: number, number: number): Promise<RoundView & { modelId: number }> {
  const row = await db.round.findUnique({ where: { phaseId_number: { phaseId, number } }, select: { id: true } });
  if (!row) throw notFound(`round ${number} of phase ${phaseId}`);
  const r = await getRound(db, row.id);
  if (r.modelId == null || r.status !== 'succeeded') throw unprocessable(`round ${number} of phase ${phaseId} has no student to compare (it is ${r.status})`);
  return r as RoundView & { modelId: number };
}

const round4 = (p: ArrayLike<number>) => Array.from(p, (x) => Math.round(x * 1e4) / 1e4);

export async function compareRounds(db: Db, input: { phaseId: number; a: number; b: number; limit?: number }): Promise<RoundComparison> {
  const { phaseId } = input;
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 0 || limit > COMPARE_LIMIT_MAX) throw badRequest(`limit must be an integer from 0 to ${COMPARE_LIMIT_MAX}`);
  if (input.a === input.b) throw badRequest('compare two different rounds');
  if (!(await db.phase.findUnique({ where: { id: phaseId }, select: { id: true } }))) throw notFound(`phase ${phaseId}`);
  const phase = await phaseMeta(db, phaseId);
  const [ra, rb] = [await roundWithStudent(db, phaseId, input.a), await roundWithStudent(db, phaseId, input.b)];
  const C = phase.labels.length;
  const rows = await loadPhaseRows(db, phase, 'all');
  const da = alignDecisions(rows.ids, await studentDecisions(db, phase, ra.modelId));
  const db_ = alignDecisions(rows.ids, await studentDecisions(db, phase, rb.modelId));
  const teacher = decide(phase, rows.teacherProbs);
  const n = rows.ids.length;
  const inSplit = (test: 0 | 1, v: Int32Array) => Int32Array.from(v, (x, i) => (rows.test[i] === test ? x : -1));
  const humanOnTest = inSplit(1, rows.human);
  const teacherOnTest = Int32Array.from(teacher, (t, i) => (rows.test[i] && rows.hasTeacher[i] ? t : -1));

  const changedIdx: number[] = [];
  let fixed = 0;
  let broke = 0;
  for (let i = 0; i < n; i++) {
    if (da[i] < 0 || db_[i] < 0 || da[i] === db_[i]) continue;
    changedIdx.push(i);
    const h = rows.human[i];
    if (h >= 0 && db_[i] === h) fixed++;
    else if (h >= 0 && da[i] === h) broke++;
  }

  const shownIds = changedIdx.map((i) => rows.ids[i]);
  const probsOf = async (modelId: number, ids: number[]) => {
    const out = new Map<number, Float32Array>();
    for (let s = 0; s < ids.length; s += 1000) {
      const chunk = ids.slice(s, s + 1000);
      const list = chunk.map((id) => Math.trunc(id)).join(', ');
      const got = await db.$queryRawUnsafe<{ itemId: unknown; probs: Uint8Array }[]>(
        placeholders(providerOf(db), `SELECT "itemId", "probs" FROM "StudentScore" WHERE "modelId" = $1 AND "itemId" IN (${list})`),
        modelId,
      );
      for (const g of got) out.set(Number(g.itemId), decodeProbs(g.probs));
    }
    return out;
  };
  // Ranking every changed item needs both distributions; bounded by the items that changed.
  const [pa, pb] = shownIds.length ? [await probsOf(ra.modelId, shownIds), await probsOf(rb.modelId, shownIds)] : [new Map(), new Map()];
  const move = (i: number) => {
    const x = pa.get(rows.ids[i]);
    const y = pb.get(rows.ids[i]);
    if (!x || !y) return 0;
    let d = 0;
    for (let c = 0; c < C; c++) d += Math.abs(x[c] - y[c]);
    return d;
  };
  // Labelled test-slice items first (their verdicts are honest: no student trained on them), then
  // other labelled items, then the largest moves.
  const rank = (i: number) => (rows.human[i] >= 0 ? (rows.test[i] ? 2 : 1) : 0);
  const ordered = changedIdx
    .map((i) => ({ i, rank: rank(i), move: move(i) }))
    .sort((x, y) => y.rank - x.rank || y.move - x.move || rows.ids[x.i] - rows.ids[y.i])
    .slice(0, limit);
  const items: ChangedItem[] = ordered.map(({ i }) => {
    const h = rows.human[i];
    return {
      itemId: rows.ids[i],
      text: rows.texts[i],
      split: rows.test[i] ? 'test' : 'train',
      teacher: rows.hasTeacher[i] ? { label: phase.labels[teacher[i]], probs: round4(rows.teacherProbs.subarray(i * C, i * C + C)) } : null,
      human: h >= 0 ? phase.labels[h] : null,
      a: { label: phase.labels[da[i]], probs: round4(pa.get(rows.ids[i]) ?? []) },
      b: { label: phase.labels[db_[i]], probs: round4(pb.get(rows.ids[i]) ?? []) },
      verdict: h >= 0 && db_[i] === h ? 'fixed' : h >= 0 && da[i] === h ? 'broke' : 'changed',
    };
  });

  return {
    phaseId,
    labels: phase.labels,
    a: roundSummary(ra),
    b: roundSummary(rb),
    pool: predictionAgreement(inSplit(0, da), inSplit(0, db_), C),
    test: predictionAgreement(inSplit(1, da), inSplit(1, db_), C),
    gainVsHuman: pairedGain(da, db_, humanOnTest),
    gainVsTeacher: pairedGain(da, db_, teacherOnTest),
    changed: { total: changedIdx.length, fixed, broke, items },
  };
}
