/**
 * Rebuilds a phase's precomputed disagreement queue (QueueEntry) from the latest student's
 * scores. Ranking happens once here, after a round scores the pool, so that handing out the
 * next batch is an indexed range scan of (phaseId, done, rank) instead of a sort of the pool.
 */
import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { audit, type Actor } from '../audit.ts';
import { dbNow, placeholders, providerOf, type Provider } from '../db/sql.ts';
import { decodeProbs, decodeProbsInto } from '../db/probs.ts';
import { decide, decisionMargin, parsePhase, phaseMeta, type PhaseMeta } from '../tasks/phase.ts';
import { withPhaseLock } from '../import/phase-lock.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { mixTeachers, type TeacherMatrix } from '../ml/loss.ts';
import { goodStudents } from '../models/regression.ts';
import { modelFile } from '../models/registry.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { insertStudentScores } from '../rounds/scores.ts';
import { clearOpenShards } from './open-count.ts';
import { earlierPhaseLabel, filterByDependency, isQueueStrategy, rankQueue, type Candidate, type QueueStrategy } from './rank.ts';

const ROWS_PER_INSERT = 5000;
/** Items the rebuild scores with the queue's student per batch (texts read, inference, rows written). */
const SCORE_CHUNK = 5000;

export interface RebuildResult {
  phaseId: number;
  modelId: number | null;
  strategy: QueueStrategy;
  pool: number;
  queued: number;
  /** Items imported since the queue's student's round, scored by it in this rebuild. */
  newlyScored: number;
  seconds: number;
}

export function parseQuotas(raw: string | null): Record<string, number> | null {
  if (!raw) return null;
  const v = JSON.parse(raw) as unknown;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : null;
}

/**
 * The student whose scores rank the queue: the newest model of the phase that has scores and is
 * neither rejected nor flagged as a regression (a worse round must not silently re-rank the queue).
 */
export async function queueModel(db: Db, phaseId: number): Promise<number | null> {
  for (const m of await goodStudents(db, phaseId)) {
    if (await db.studentScore.findFirst({ where: { modelId: m.id }, select: { itemId: true } })) return m.id;
  }
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
      const p = decodeProbs(s.probs);
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

const CHUNK = 50_000;

/**
 * Reads `SELECT …` in keyset chunks of CHUNK rows, each chunk aggregated by the database into
 * one JSON text: a million pool rows cost one JSON.parse per chunk instead of a million row
 * objects built by the driver (several times faster for the rebuild).
 */
async function jsonChunks(db: Db, provider: Provider, columns: string[], from: string, params: unknown[], onRows: (rows: unknown[][]) => void): Promise<void> {
  const n = params.length;
  const inner = `SELECT ${columns.map((c, i) => `${c} AS c${i}`).join(', ')} ${from} AND ${columns[0]} > $${n + 1} ORDER BY ${columns[0]} LIMIT ${CHUNK}`;
  const cols = columns.map((_, i) => `t.c${i}`).join(', ');
  const sql =
    provider === 'postgres'
      ? `SELECT json_agg(json_build_array(${cols}))::text AS j, MAX(t.c0) AS last FROM (${inner}) t`
      : `SELECT json_group_array(json_array(${cols})) AS j, MAX(t.c0) AS last FROM (${inner}) t`;
  let after = 0;
  for (;;) {
    const [row] = await db.$queryRawUnsafe<{ j: string | null; last: unknown }[]>(placeholders(provider, sql), ...params, after);
    if (!row?.j || row.last == null) return;
    const rows = JSON.parse(row.j) as unknown[][];
    if (!rows.length) return;
    onRows(rows);
    if (rows.length < CHUNK) return;
    after = Number(row.last);
  }
}

/** The pool: train items with text hash, the teacher's decision (teachers combined by weight) and the student's scores. */
interface Pool {
  pool: Omit<Candidate, 'answers'>[];
  /** The teachers' mixed probabilities [pool, C] and which items have any. */
  teacher: { probs: Float32Array; has: Uint8Array };
  /** Pool indices of items the queue's student has no score for (imported after its round). */
  unscored: number[];
}

async function loadPool(db: Db, provider: Provider, phase: PhaseMeta, modelId: number | null): Promise<Pool> {
  const C = phase.labels.length;
  const pool: Omit<Candidate, 'answers'>[] = [];
  const unscored: number[] = [];
  const index = new Map<number, number>();
  await jsonChunks(
    db,
    provider,
    ['i."id"', 'i."textHash"', 's."kl"', 's."js"', 's."flip"', 's."margin"', 's."loss"', 's."doubt"', `CASE WHEN i."goldLabel" IS NULL THEN 0 ELSE 1 END`, `CASE WHEN s."itemId" IS NULL THEN 0 ELSE 1 END`],
    `FROM "Item" i LEFT JOIN "StudentScore" s ON s."itemId" = i."id" AND s."modelId" = $2 WHERE i."phaseId" = $1 AND i."split" = 'train'`,
    [phase.id, modelId],
    (rows) => {
      for (const [id, h, kl, js, flip, margin, loss, doubt, gold, scored] of rows) {
        if (modelId != null && Number(scored) === 0) unscored.push(pool.length);
        index.set(Number(id), pool.length);
        // Without a student every item is equally unsure; the tie-break (item id) keeps import order.
        pool.push({ itemId: Number(id), textHash: String(h), teacherLabel: null, kl: Number(kl ?? 0), js: Number(js ?? 0), flip: flip === true || flip === 1, margin: Number(margin ?? 0), loss: Number(loss ?? 0), doubt: Number(doubt ?? 0), trusted: Number(gold) === 1 });
      }
    },
  );
  const teachers = await db.teacher.findMany({ where: { phaseId: phase.id }, orderBy: { id: 'asc' } });
  const per: TeacherMatrix[] = [];
  for (const t of teachers) {
    const probs = new Float32Array(pool.length * C);
    const has = new Uint8Array(pool.length);
    await jsonChunks(
      db,
      provider,
      ['tp."itemId"', provider === 'postgres' ? `encode(tp."probs", 'hex')` : 'hex(tp."probs")'],
      `FROM "TeacherPrediction" tp WHERE tp."teacherId" = $1`,
      [t.id],
      (rows) => {
        for (const [id, hex] of rows) {
          const i = index.get(Number(id));
          if (i === undefined) continue;
          if (decodeProbsInto(Buffer.from(String(hex), 'hex'), C, probs, i * C)) has[i] = 1;
        }
      },
    );
    per.push({ probs, has, weight: t.weight });
  }
  const combined = mixTeachers(per, pool.length, C);
  const labels = labelsOf(phase, combined.probs, combined.has);
  const margins = decisionMargin(phase, combined.probs);
  for (let i = 0; i < pool.length; i++) {
    pool[i].teacherLabel = labels[i];
    pool[i].teacherMargin = combined.has[i] ? margins[i] : null;
  }
  return { pool, teacher: combined, unscored };
}

/**
 * Items imported after the queue's student scored the pool have no score of it, so they would rank
 * last (disagreement 0) until the next round. The rebuild scores them with that student now, as its
 * round would have (they were in no training set, so these scores are held out by construction),
 * stores the scores and ranks them with the rest.
 */
async function scoreNewItems(db: Db, phase: PhaseMeta, modelId: number, loaded: Pool): Promise<number> {
  const { pool, teacher, unscored } = loaded;
  if (!unscored.length) return 0;
  const C = phase.labels.length;
  const model = await db.studentModel.findUniqueOrThrow({ where: { id: modelId }, select: { id: true, artifactKey: true } });
  const student = await OnnxStudent.load(new Uint8Array(await modelFile(db, model, 'student.onnx')));
  try {
    for (let from = 0; from < unscored.length; from += SCORE_CHUNK) {
      const chunk = unscored.slice(from, from + SCORE_CHUNK);
      const ids = Int32Array.from(chunk, (i) => pool[i].itemId);
      const rows = await db.item.findMany({ where: { id: { in: Array.from(ids) } }, select: { id: true, text: true } });
      const text = new Map(rows.map((r) => [r.id, r.text]));
      const studentProbs = (await student.predict(Array.from(ids, (id) => text.get(id) ?? ''))).probs;
      const teacherProbs = new Float32Array(chunk.length * C);
      const hasTeacher = new Uint8Array(chunk.length);
      chunk.forEach((i, k) => {
        teacherProbs.set(teacher.probs.subarray(i * C, (i + 1) * C), k * C);
        hasTeacher[k] = teacher.has[i];
      });
      const { disagreement: d } = await insertStudentScores(db, modelId, ids, teacherProbs, hasTeacher, studentProbs, C);
      chunk.forEach((i, k) => {
        const t = hasTeacher[k] === 1;
        Object.assign(pool[i], { kl: t ? d.kl[k] : 0, js: t ? d.js[k] : 0, flip: t && d.flip[k] === 1, margin: d.margin[k], loss: t ? d.studentLoss[k] : 0, doubt: t ? d.doubt[k] : 0 });
      });
    }
  } finally {
    await student.release();
  }
  return unscored.length;
}

/**
 * Loads the phase's pool (train split) with the latest student's scores, ranks it, and replaces
 * the phase's queue in one transaction (annotators never see a half-written queue). Leases and
 * annotations are untouched: a held item stays held. Before any student has scored the pool, the
 * teacher's least sure decisions lead (rank.ts teacherPriority).
 *
 * One rebuild of a phase at a time (a per-phase lock, across processes): a rebuild that starts
 * while another runs waits for it and then reads the pool afresh, so the last rebuild to finish
 * is always the one that read the newest data (an import that lands during a rebuild is queued by
 * the rebuild it enqueues, never overwritten by the older one).
 */
export async function rebuildQueue(db: Db, phaseId: number, requestedBy?: Actor): Promise<RebuildResult> {
  return withPhaseLock(db, phaseId, 'queue rebuild', () => rebuildQueueNow(db, phaseId, requestedBy));
}

async function rebuildQueueNow(db: Db, phaseId: number, requestedBy?: Actor): Promise<RebuildResult> {
  const t0 = performance.now();
  const provider = providerOf(db);
  const phase = await db.phase.findUnique({ where: { id: phaseId } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const strategy: QueueStrategy = isQueueStrategy(phase.queueStrategy) ? phase.queueStrategy : 'js';
  const meta = parsePhase(phase);
  const modelId = await queueModel(db, phaseId);

  const loaded = await loadPool(db, provider, meta, modelId);
  const newlyScored = modelId == null ? 0 : await scoreNewItems(db, meta, modelId, loaded);
  const pool = loaded.pool;
  const answered = await db.$queryRawUnsafe<{ itemId: number; n: number }[]>(
    placeholders(provider, `SELECT "itemId", COUNT(DISTINCT "userId") AS n FROM "Annotation" WHERE "phaseId" = $1 AND "undoneAt" IS NULL AND "action" <> 'skip' GROUP BY "itemId"`),
    phaseId,
  );
  const answers = new Map(answered.map((r) => [Number(r.itemId), Number(r.n)]));
  const adjudicated = new Set((await db.humanLabel.findMany({ where: { phaseId, source: 'adjudication' }, select: { itemId: true } })).map((h) => h.itemId));

  let candidates: Candidate[] = pool.map((c) => ({ ...c, answers: answers.get(c.itemId) ?? 0, adjudicated: adjudicated.has(c.itemId) }));
  if (meta.dependsOn) {
    candidates = filterByDependency(candidates, await earlierLabels(db, meta.dependsOn.phaseId), meta.dependsOn.label);
  }
  const ranked = rankQueue(candidates, { strategy, by: modelId == null ? 'teacher' : 'student', overlap: phase.overlap, quotas: parseQuotas(phase.classQuotas), relabelTrusted: phase.relabelTrusted, auditShare: phase.auditShare, seed: (modelId ?? 0) * 31 + phaseId });

  const insert =
    provider === 'postgres'
      ? `INSERT INTO "QueueEntry" ("phaseId", "itemId", "modelId", "rank", "teacherLabel", "answers", "done", "audit")
         SELECT $1::int, (j ->> 0)::int, $2::int, (j ->> 1)::int, j ->> 2, (j ->> 3)::int, false, (j ->> 4)::int = 1 FROM json_array_elements($3::json) AS j`
      : `INSERT INTO "QueueEntry" ("phaseId", "itemId", "modelId", "rank", "teacherLabel", "answers", "done", "audit")
         SELECT $1, j.value ->> 0, $2, j.value ->> 1, j.value ->> 2, j.value ->> 3, false, j.value ->> 4 FROM json_each($3) AS j`;
  await db.$transaction(
    async (tx) => {
      // A write first: on SQLite the transaction then holds the write lock from its start.
      await tx.$executeRawUnsafe(placeholders(provider, `DELETE FROM "QueueEntry" WHERE "phaseId" = $1`), phaseId);
      // Sweep leases that ran out (an expired row only matters for a late answer on it, which is
      // taken while the item is still free; after a rebuild it is simply leased again).
      await tx.$executeRawUnsafe(placeholders(provider, `DELETE FROM "AnnotationLease" WHERE "phaseId" = $1 AND "expiresAt" <= ${dbNow(provider)}`), phaseId);
      for (let s = 0; s < ranked.length; s += ROWS_PER_INSERT) {
        const batch = ranked.slice(s, s + ROWS_PER_INSERT).map((r) => [r.itemId, r.rank, r.teacherLabel, r.answers, r.audit ? 1 : 0]);
        await tx.$executeRawUnsafe(placeholders(provider, insert), phaseId, modelId, JSON.stringify(batch));
      }
      const state = { modelId, strategy, open: ranked.length, total: ranked.length, builtAt: new Date() };
      await tx.queueState.upsert({ where: { phaseId }, create: { phaseId, ...state }, update: state });
      await clearOpenShards(tx, provider, phaseId);
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
  // PostgreSQL plans the claim of a next batch from the table's statistics: right after the queue
  // is rewritten (a first import, a new pool) they still describe the old, often empty, table,
  // and the claim's index range scan in rank order turned into a scan and sort of the whole queue
  // (3.4 s for 20,000 entries). Autovacuum would refresh them only later.
  if (provider === 'postgres') await db.$executeRawUnsafe(`ANALYZE "QueueEntry"`);
  // Audited when a person asked for it; the rebuilds a round or a settings change triggers belong to those actions.
  if (requestedBy !== undefined) await audit(db, requestedBy, 'queue.rebuild', `phase:${phaseId}`, { queued: ranked.length, modelId });
  return { phaseId, modelId, strategy, pool: pool.length, queued: ranked.length, newlyScored, seconds: (performance.now() - t0) / 1000 };
}
