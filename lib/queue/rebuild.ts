/**
 * Rebuilds a phase's precomputed disagreement queue (QueueEntry) from the latest student's
 * scores. Ranking happens once here, after a round scores the pool, so that handing out the
 * next batch is an indexed range scan of (phaseId, done, rank) instead of a sort of the pool.
 */
import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { providerOf, type Provider } from '../import/sql.ts';
import { placeholders } from '../jobs/sql.ts';
import { loadPhaseRows, phaseMeta, type PhaseMeta } from '../rounds/data.ts';
import { decide } from '../rounds/evaluate.ts';
import { earlierPhaseLabel, filterByDependency, isQueueStrategy, rankQueue, type Candidate, type QueueStrategy } from './rank.ts';

const ROWS_PER_INSERT = 5000;

export interface RebuildResult {
  phaseId: number;
  modelId: number | null;
  strategy: QueueStrategy;
  pool: number;
  queued: number;
  seconds: number;
}

export function parseQuotas(raw: string | null): Record<string, number> | null {
  if (!raw) return null;
  const v = JSON.parse(raw) as unknown;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : null;
}

/** The student whose scores rank the queue: the newest non-rejected model of the phase that has scores. */
export async function queueModel(db: Db, phaseId: number): Promise<number | null> {
  const models = await db.studentModel.findMany({ where: { phaseId, status: { not: 'rejected' } }, orderBy: { id: 'desc' }, select: { id: true }, take: 5 });
  for (const m of models) if (await db.studentScore.findFirst({ where: { modelId: m.id }, select: { itemId: true } })) return m.id;
  return null;
}

async function hashes(db: Db, provider: Provider, phaseId: number, split: 'train' | 'all'): Promise<Map<number, string>> {
  const rows = await db.$queryRawUnsafe<{ id: number; textHash: string }[]>(
    placeholders(provider, `SELECT "id", "textHash" FROM "Item" WHERE "phaseId" = $1${split === 'train' ? ` AND "split" = 'train'` : ''}`),
    phaseId,
  );
  return new Map(rows.map((r) => [Number(r.id), r.textHash]));
}

function labelsOf(phase: PhaseMeta, probs: Float32Array, present: Uint8Array): (string | null)[] {
  const d = decide(phase, probs);
  return Array.from(d, (c, i) => (present[i] ? phase.labels[c] : null));
}

/**
 * What the earlier phase says about each text (by normalised-text hash): its human label
 * (HumanLabel, else the imported gold label), else the deployed student's decision, else the
 * teacher's decision at that phase's threshold.
 */
export async function earlierLabels(db: Db, earlierPhaseId: number): Promise<Map<string, string | null>> {
  const provider = providerOf(db);
  const meta = await phaseMeta(db, earlierPhaseId);
  const rows = await loadPhaseRows(db, meta, 'all');
  const C = meta.labels.length;
  const teacher = labelsOf(meta, rows.teacherProbs, rows.hasTeacher);
  const deployed = new Map<number, string>();
  const dep = await db.deployment.findFirst({ where: { phaseId: earlierPhaseId, rolledBackAt: null }, orderBy: { id: 'desc' } });
  if (dep) {
    const scores = await db.$queryRawUnsafe<{ itemId: number; probs: Uint8Array }[]>(
      placeholders(provider, `SELECT "itemId", "probs" FROM "StudentScore" WHERE "modelId" = $1`),
      dep.modelId,
    );
    for (const s of scores) {
      const b = s.probs;
      const p = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      if (p.length === C) deployed.set(Number(s.itemId), meta.labels[decide(meta, p)[0]]);
    }
  }
  const hashOf = await hashes(db, provider, earlierPhaseId, 'all');
  const out = new Map<string, string | null>();
  for (let i = 0; i < rows.ids.length; i++) {
    const id = rows.ids[i];
    const h = hashOf.get(id);
    if (h === undefined) continue;
    out.set(h, earlierPhaseLabel({ human: rows.human[i] >= 0 ? meta.labels[rows.human[i]] : null, deployed: deployed.get(id), teacher: teacher[i] }));
  }
  return out;
}

/**
 * Loads the phase's pool (train split) with the latest student's scores, ranks it, and replaces
 * the phase's queue in one transaction (annotators never see a half-written queue). Leases and
 * annotations are untouched: a held item stays held.
 */
export async function rebuildQueue(db: Db, phaseId: number): Promise<RebuildResult> {
  const t0 = performance.now();
  const provider = providerOf(db);
  const phase = await db.phase.findUnique({ where: { id: phaseId } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const strategy: QueueStrategy = isQueueStrategy(phase.queueStrategy) ? phase.queueStrategy : 'js';
  const meta = await phaseMeta(db, phaseId);
  const modelId = await queueModel(db, phaseId);

  const rows = await loadPhaseRows(db, meta, 'train');
  const teacherLabel = labelsOf(meta, rows.teacherProbs, rows.hasTeacher);
  const hashOf = await hashes(db, provider, phaseId, 'train');

  const scores = new Map<number, { kl: number; js: number; flip: boolean; margin: number; loss: number }>();
  if (modelId != null) {
    const srows = await db.$queryRawUnsafe<{ itemId: number; kl: number; js: number; flip: unknown; margin: number; loss: number }[]>(
      placeholders(provider, `SELECT "itemId", "kl", "js", "flip", "margin", "loss" FROM "StudentScore" WHERE "modelId" = $1`),
      modelId,
    );
    for (const s of srows) scores.set(Number(s.itemId), { kl: Number(s.kl), js: Number(s.js), flip: s.flip === true || Number(s.flip) === 1, margin: Number(s.margin), loss: Number(s.loss) });
  }
  const answered = await db.$queryRawUnsafe<{ itemId: number; n: number }[]>(
    placeholders(provider, `SELECT "itemId", COUNT(DISTINCT "userId") AS n FROM "Annotation" WHERE "phaseId" = $1 AND "undoneAt" IS NULL AND "action" <> 'skip' GROUP BY "itemId"`),
    phaseId,
  );
  const answers = new Map(answered.map((r) => [Number(r.itemId), Number(r.n)]));
  const adjudicated = new Set((await db.humanLabel.findMany({ where: { phaseId, source: 'adjudication' }, select: { itemId: true } })).map((h) => h.itemId));

  let candidates: Candidate[] = [];
  for (let i = 0; i < rows.ids.length; i++) {
    const id = rows.ids[i];
    const s = scores.get(id);
    candidates.push({
      itemId: id,
      textHash: hashOf.get(id) ?? `#${id}`,
      teacherLabel: teacherLabel[i],
      js: s?.js ?? 0,
      kl: s?.kl ?? 0,
      flip: s?.flip ?? false,
      // Without a student every item is equally unsure; the tie-break (item id) keeps import order.
      margin: s?.margin ?? 0,
      loss: s?.loss ?? 0,
      answers: answers.get(id) ?? 0,
      adjudicated: adjudicated.has(id),
    });
  }
  if (phase.dependsOnPhaseId != null && phase.dependsOnLabel != null) {
    candidates = filterByDependency(candidates, await earlierLabels(db, phase.dependsOnPhaseId), phase.dependsOnLabel);
  }
  const ranked = rankQueue(candidates, { strategy, overlap: phase.overlap, quotas: parseQuotas(phase.classQuotas) });

  const insert =
    provider === 'postgres'
      ? `INSERT INTO "QueueEntry" ("phaseId", "itemId", "modelId", "rank", "teacherLabel", "answers", "done")
         SELECT $1::int, (j ->> 0)::int, $2::int, (j ->> 1)::int, j ->> 2, (j ->> 3)::int, false FROM json_array_elements($3::json) AS j`
      : `INSERT INTO "QueueEntry" ("phaseId", "itemId", "modelId", "rank", "teacherLabel", "answers", "done")
         SELECT ?1, j.value ->> 0, ?2, j.value ->> 1, j.value ->> 2, j.value ->> 3, false FROM json_each(?3) AS j`;
  await db.$transaction(
    async (tx) => {
      // A write first: on SQLite the transaction then holds the write lock from its start.
      await tx.$executeRawUnsafe(placeholders(provider, `DELETE FROM "QueueEntry" WHERE "phaseId" = $1`), phaseId);
      for (let s = 0; s < ranked.length; s += ROWS_PER_INSERT) {
        const batch = ranked.slice(s, s + ROWS_PER_INSERT).map((r) => [r.itemId, r.rank, r.teacherLabel, r.answers]);
        await tx.$executeRawUnsafe(insert, phaseId, modelId, JSON.stringify(batch));
      }
      const state = { modelId, strategy, open: ranked.length, total: ranked.length, builtAt: new Date() };
      await tx.queueState.upsert({ where: { phaseId }, create: { phaseId, ...state }, update: state });
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
  return { phaseId, modelId, strategy, pool: rows.ids.length, queued: ranked.length, seconds: (performance.now() - t0) / 1000 };
}
