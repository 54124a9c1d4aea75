/**
 * Handing queue items to annotators and taking their answers.
 *
 * Two queues, two words: this is the *annotation queue* (lib/queue/: items ranked for people,
 * leased per annotator by `leaseItems`); the *job queue* (lib/jobs/: background work for worker
 * processes, taken by `claim`) is another thing.
 *
 * A lease is a row (phaseId, itemId, userId, expiresAt) stamped with the database clock. An
 * item may be held or answered by at most `overlap` (k) different annotators at once:
 *   answers (distinct annotators' non-undone label/flag) + other annotators' unexpired leases < k.
 * Every change is a short sequence of statements that are each atomic on their own, ordered so
 * that the rule holds between any two of them (an answer is inserted while its lease still
 * counts, and only then is the lease released; an undo re-leases the item before it reopens it).
 * - SQLite: each statement takes the database's write lock before it reads, so statements are
 *   serialised. No multi-statement transaction: libsql runs statements synchronously, so a
 *   transaction holding the write lock across an await would stall every other connection of
 *   the same process in its busy handler (and could never be resumed by it).
 * - PostgreSQL: submit and the next-batch claim are the functions distillery_submit /
 *   distillery_claim (latest in migration 20261203050000_submit_one_read_claim_batches, one round
 *   trip each; keep them in step with this file). A claim's commit does not wait for its WAL
 *   flush (a lease lost to a database crash returns its item to the queue, as an expired one
 *   does). They take the phase's advisory lock shared and lock each item they touch (an
 *   advisory lock per item), so answers and claims of different items run side by side; under
 *   READ COMMITTED each statement's snapshot is taken after the item's lock, so a claim sees
 *   every lease of that item committed before it (FOR UPDATE SKIP LOCKED alone would not: a row
 *   whose lease a concurrent claimer just committed is no longer locked, and the lease lives in
 *   another table). Every other change here (phaseTx: undo, change of answer, flags,
 *   trusted labels, the CLI's named lease) takes the phase's lock exclusively, as before.
 * An expired lease simply stops counting, which returns its item to the queue.
 */
import type { Db } from '../db/client.ts';
import { badRequest, conflict, DomainError, notFound } from '../errors.ts';
import { audit } from '../audit.ts';
import { dbNow, dbNowPlus, durationParam, placeholders, providerOf, toBool, toDate, type Provider } from '../db/sql.ts';
import { decodeProbs } from '../db/probs.ts';
import { mixTeachers } from '../ml/loss.ts';
import { decide, parsePhase, type PhaseColumns, type PhaseMeta } from '../tasks/phase.ts';
import { currentSession, localDayStart } from './progress.ts';
import { addOpen, OPEN_OF_S } from './open-count.ts';

export const DEFAULT_LEASE_MS = 10 * 60_000;
export const MAX_BATCH = 100;
export const ACTIONS = ['label', 'skip', 'flag'] as const;
export type AnnotationAction = (typeof ACTIONS)[number];

export function leaseMs(): number {
  const v = Number(process.env.QUEUE_LEASE_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_LEASE_MS;
}

export interface QueueItem {
  itemId: number;
  text: string;
  leaseExpiresAt: string;
  teacher: { probs: number[]; label: string } | null;
  student: { probs: number[]; label: string; modelId: number } | null;
  score: { js: number; kl: number; flip: boolean; margin: number; loss: number } | null;
}

export interface NextBatch {
  labels: string[];
  items: QueueItem[];
  remaining: number;
}

export interface QueuePhase extends PhaseMeta {
  overlap: number;
}

export async function queuePhase(db: Db, phaseId: number): Promise<QueuePhase> {
  return (await queuePhaseState(db, phaseId)).phase;
}

/**
 * The phase's label rule and overlap with its queue bookkeeping, in one raw query: the
 * next-batch call runs a handful of statements and each one costs (goal: p95 ≤ 20 ms).
 */
export async function queuePhaseState(db: Db, phaseId: number): Promise<{ phase: QueuePhase; open: number; modelId: number | null }> {
  const rows = await db.$queryRawUnsafe<(Omit<PhaseColumns, 'id'> & { overlap: unknown; open: unknown; modelId: unknown })[]>(
    placeholders(
      providerOf(db),
      `SELECT p."labels", p."threshold", p."positiveLabel", p."dependsOnPhaseId", p."dependsOnLabel", p."overlap", ${OPEN_OF_S} AS "open", s."modelId"
       FROM "Phase" p LEFT JOIN "QueueState" s ON s."phaseId" = p."id" WHERE p."id" = $1`,
    ),
    phaseId,
  );
  const p = rows[0];
  if (!p) throw notFound(`phase ${phaseId}`);
  return {
    phase: { ...parsePhase({ id: phaseId, ...p }), overlap: Math.max(1, Number(p.overlap)) },
    open: p.open == null ? 0 : Number(p.open),
    modelId: p.modelId == null ? null : Number(p.modelId),
  };
}

/**
 * A phase's label rule (labels, threshold, positive label, dependency) is fixed when the phase is
 * created and never updated, and phases are never deleted (ids are not reused): it is kept per
 * database client, so a submit validates its label without a query. The overlap k, which a lead
 * changes, is never taken from here: statements read it from the Phase row as they run.
 */
const ruleCache = new WeakMap<object, Map<number, PhaseMeta>>();

export async function phaseRule(db: Db, phaseId: number): Promise<PhaseMeta> {
  let byId = ruleCache.get(db);
  if (!byId) ruleCache.set(db, (byId = new Map()));
  const hit = byId.get(phaseId);
  if (hit) return hit;
  const row = await db.phase.findUnique({
    where: { id: phaseId },
    select: { id: true, labels: true, threshold: true, positiveLabel: true, dependsOnPhaseId: true, dependsOnLabel: true },
  });
  if (!row) throw notFound(`phase ${phaseId}`);
  const rule = parsePhase(row);
  if (byId.size >= 10_000) byId.clear();
  byId.set(phaseId, rule);
  return rule;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const ONE = Uint8Array.of(1);

/** Text, teacher and student distributions and scores of leased items, in the given order (two queries). */
export async function hydrate(db: Db, phase: QueuePhase, leases: { itemId: number; expiresAt: Date }[], fallbackModelId: number | null): Promise<QueueItem[]> {
  if (!leases.length) return [];
  const provider = providerOf(db);
  // As parameters padded (with the last id) to 10 or 100: a few statement shapes, each prepared once per connection.
  const idList = leases.map((l) => Math.trunc(Number(l.itemId)));
  const width = idList.length <= 10 ? 10 : Math.max(100, idList.length);
  while (idList.length < width) idList.push(idList[idList.length - 1]);
  const ids = (first: number) => idList.map((_, i) => `$${i + first}`).join(', ');
  const C = phase.labels.length;
  type ItemRow = { id: unknown; text: string; sm: unknown; probs: Uint8Array | null; kl: unknown; js: unknown; flip: unknown; margin: unknown; loss: unknown };
  // Both at once: on PostgreSQL two pooled connections, one round trip's wait instead of two.
  const [items, preds] = await Promise.all([
    db.$queryRawUnsafe<ItemRow[]>(
      placeholders(
        provider,
        `SELECT i."id", i."text", s."modelId" AS sm, s."probs", s."kl", s."js", s."flip", s."margin", s."loss"
         FROM "Item" i
         LEFT JOIN "QueueEntry" q ON q."phaseId" = $1 AND q."itemId" = i."id"
         LEFT JOIN "StudentScore" s ON s."itemId" = i."id" AND s."modelId" = COALESCE(q."modelId", $2)
         WHERE i."id" IN (${ids(3)})`,
      ),
      phase.id,
      fallbackModelId,
      ...idList,
    ),
    db.$queryRawUnsafe<{ itemId: unknown; probs: Uint8Array; weight: unknown }[]>(
      placeholders(
        provider,
        `SELECT tp."itemId", tp."probs", t."weight" FROM "TeacherPrediction" tp JOIN "Teacher" t ON t."id" = tp."teacherId"
         WHERE t."phaseId" = $1 AND tp."itemId" IN (${ids(2)}) ORDER BY t."id"`,
      ),
      phase.id,
      ...idList,
    ),
  ]);
  const row = new Map(items.map((i) => [Number(i.id), i]));
  const label = (p: Float32Array) => phase.labels[decide(phase, p)[0]];
  return leases.map(({ itemId, expiresAt }) => {
    const tp = preds
      .filter((p) => Number(p.itemId) === itemId)
      .map((p) => ({ probs: decodeProbs(p.probs), has: ONE, weight: Number(p.weight) }))
      .filter((p) => p.probs.length === C);
    const mixed = mixTeachers(tp, 1, C);
    const t = mixed.has[0] ? mixed.probs : null;
    const r = row.get(itemId);
    const sp = r?.probs ? decodeProbs(r.probs) : null;
    return {
      itemId,
      text: r?.text ?? '',
      leaseExpiresAt: expiresAt.toISOString(),
      teacher: t ? { probs: Array.from(t, round6), label: label(t) } : null,
      student: r && sp && sp.length === C ? { probs: Array.from(sp, round6), label: label(sp), modelId: Number(r.sm) } : null,
      score: r && r.sm != null ? { js: Number(r.js), kl: Number(r.kl), flip: toBool(r.flip), margin: Number(r.margin), loss: Number(r.loss) } : null,
    };
  });
}

export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** See the top of the file: on PostgreSQL the phase's advisory lock, exclusively (submits and claims take it shared); SQLite's statements are atomic one by one. */
export async function phaseTx<T>(db: Db, provider: Provider, phaseId: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (provider === 'sqlite') return fn(db);
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(7242, $1::int)`, phaseId);
      return fn(tx);
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

/** Distinct annotators whose non-undone, non-skip answer counts toward the overlap (SQL over the aliased queue row q). */
const ANSWERS_OF_Q = `(SELECT COUNT(DISTINCT a."userId") FROM "Annotation" a
  WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."undoneAt" IS NULL AND a."action" <> 'skip')`;

/**
 * The user's unexpired leases in the phase, as they are: polling does not extend them (a client
 * polling `limit=1` used to re-extend all its held leases and could keep items forever). A lease
 * lasts its TTL from when it was taken; an answer sent after that still counts unless the item
 * went to k others meanwhile (see submit). At most MAX_BATCH are ever held (claim tops up to the limit).
 */
async function refreshHeld(tx: Tx | Db, provider: Provider, phaseId: number, userId: number, _ttl: number) {
  const rows = await tx.$queryRawUnsafe<{ itemId: number; expiresAt: unknown; sortKey: number }[]>(
    placeholders(
      provider,
      `SELECT "itemId", "expiresAt", "sortKey" FROM "AnnotationLease"
       WHERE "phaseId" = $1 AND "userId" = $2 AND "expiresAt" > ${dbNow(provider)}`,
    ),
    phaseId,
    userId,
  );
  return rows
    .map((r) => ({ itemId: Number(r.itemId), expiresAt: toDate(r.expiresAt)!, sortKey: Number(r.sortKey) }))
    .sort((a, b) => a.sortKey - b.sortKey || a.itemId - b.itemId);
}

/**
 * Leases up to `limit` more queue items to the user: the claim statement described at the top.
 * `topUpTo`: instead, as many as bring the user's unexpired leases up to that number, counted in
 * the same statement (SQLite: under its write lock), so two tabs polling at once cannot both top
 * the user's batch up.
 */
async function leaseItems(tx: Tx | Db, provider: Provider, phase: QueuePhase, userId: number, limit: number, ttl: number, itemId?: number, topUpTo?: number) {
  const now = dbNow(provider);
  const limitSql =
    topUpTo === undefined
      ? '$4'
      : `MAX(0, $4 - (SELECT COUNT(*) FROM "AnnotationLease" h WHERE h."phaseId" = $1 AND h."userId" = $2 AND h."expiresAt" > ${now}))`;
  if (topUpTo !== undefined && provider !== 'sqlite') throw new Error('topUpTo is for SQLite (PostgreSQL claims in distillery_claim)');
  const rows = await tx.$queryRawUnsafe<{ itemId: number; expiresAt: unknown }[]>(
    placeholders(
      provider,
      `INSERT INTO "AnnotationLease" ("phaseId", "itemId", "userId", "expiresAt", "sortKey")
       SELECT q."phaseId", q."itemId", $2, ${dbNowPlus(provider, 5)}, q."rank"
       FROM "QueueEntry" q
       WHERE q."phaseId" = $1 AND q."done" = false${itemId === undefined ? '' : ' AND q."itemId" = $6'}
         AND ${ANSWERS_OF_Q} + (SELECT COUNT(*) FROM "AnnotationLease" l
                            WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" <> $2 AND l."expiresAt" > ${now}) < $3
         AND NOT EXISTS (SELECT 1 FROM "AnnotationLease" l
                         WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" = $2 AND l."expiresAt" > ${now})
         AND NOT EXISTS (SELECT 1 FROM "Annotation" a
                         WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = $2 AND a."undoneAt" IS NULL)
       ORDER BY q."rank"
       LIMIT ${limitSql}
       ON CONFLICT ("phaseId", "itemId", "userId") DO UPDATE SET "expiresAt" = excluded."expiresAt", "sortKey" = excluded."sortKey"
       RETURNING "itemId", "expiresAt", "sortKey"`,
    ),
    phase.id,
    userId,
    phase.overlap,
    topUpTo ?? limit,
    durationParam(provider, ttl),
    ...(itemId === undefined ? [] : [itemId]),
  );
  return rows
    .map((r) => ({ itemId: Number(r.itemId), expiresAt: toDate(r.expiresAt)!, sortKey: Number((r as { sortKey?: number }).sortKey ?? 0) }))
    .sort((a, b) => a.sortKey - b.sortKey || a.itemId - b.itemId);
}

/**
 * The user's next batch: first the items they already hold (so a reload shows the same items),
 * then newly leased ones in queue order, up to `limit` in all.
 */
export async function nextItems(db: Db, input: { phaseId: number; userId: number; limit?: number; leaseMs?: number }): Promise<NextBatch> {
  const limit = Math.trunc(input.limit ?? 10);
  if (!(limit >= 1 && limit <= MAX_BATCH)) throw badRequest(`limit must be between 1 and ${MAX_BATCH}`);
  const ttl = input.leaseMs ?? leaseMs();
  const provider = providerOf(db);
  if (provider === 'postgres') {
    // One round trip: refreshHeld and leaseItems in a function (distillery_claim, see the header),
    // side by side with the phase's state on another pooled connection (the claim reads the overlap
    // itself; a phase that does not exist has no queue to claim from, and the state query says 404).
    const [{ phase, open, modelId }, rows] = await Promise.all([
      queuePhaseState(db, input.phaseId),
      db.$queryRawUnsafe<{ itemId: unknown; expiresAt: unknown; sortKey: unknown; fresh: boolean }[]>(
        `SELECT * FROM "distillery_claim"($1::int, $2::int, $3::int, $4::float8)`,
        input.phaseId,
        input.userId,
        limit,
        durationParam(provider, ttl),
      ),
    ]);
    const lease = (r: (typeof rows)[number]) => ({ itemId: Number(r.itemId), expiresAt: toDate(r.expiresAt)!, sortKey: Number(r.sortKey) });
    const order = (a: { itemId: number; sortKey: number }, b: { itemId: number; sortKey: number }) => a.sortKey - b.sortKey || a.itemId - b.itemId;
    const held = rows.filter((r) => !r.fresh).map(lease).sort(order);
    const leases = held.length >= limit ? held.slice(0, limit) : [...held, ...rows.filter((r) => r.fresh).map(lease).sort(order)];
    return { labels: phase.labels, items: await hydrate(db, phase, leases, modelId), remaining: open };
  }
  const { phase, open, modelId } = await queuePhaseState(db, input.phaseId);
  const leases = await phaseTx(db, provider, phase.id, async (tx) => {
    const held = await refreshHeld(tx, provider, phase.id, input.userId, ttl);
    if (held.length >= limit) return held.slice(0, limit);
    const fresh = await leaseItems(tx, provider, phase, input.userId, limit, ttl, undefined, limit);
    if (held.length + fresh.length >= limit) return [...held, ...fresh].slice(0, limit);
    // Another tab of the same user leased meanwhile (the top-up counted its leases): show what is held now.
    const ids = new Set(fresh.map((f) => f.itemId));
    const now = (await refreshHeld(tx, provider, phase.id, input.userId, ttl)).filter((h) => !ids.has(h.itemId));
    return [...now, ...fresh].slice(0, limit);
  });
  return { labels: phase.labels, items: await hydrate(db, phase, leases, modelId), remaining: open };
}

/**
 * Leases one named item to the user (the CLI's `annotate --item`), under the same rule as a
 * batch claim; a no-op when the user already holds it. False when it cannot be had.
 */
export async function leaseItem(db: Db, input: { phaseId: number; userId: number; itemId: number; leaseMs?: number }): Promise<boolean> {
  const provider = providerOf(db);
  const phase = await queuePhase(db, input.phaseId);
  const ttl = input.leaseMs ?? leaseMs();
  return phaseTx(db, provider, phase.id, async (tx) => {
    const held = await refreshHeld(tx, provider, phase.id, input.userId, ttl);
    if (held.some((h) => h.itemId === input.itemId)) return true;
    return (await leaseItems(tx, provider, phase, input.userId, 1, ttl, input.itemId)).length === 1;
  });
}

export interface AnnotationView {
  id: number;
  itemId: number;
  action: string;
  label: string | null;
  createdAt: string;
}

const view = (a: { id: number; itemId: number; action: string; label: string | null; createdAt: Date }): AnnotationView => ({
  id: a.id,
  itemId: a.itemId,
  action: a.action,
  label: a.label,
  createdAt: a.createdAt.toISOString(),
});

/**
 * Recounts the annotators whose answer counts toward the overlap and moves the queue entry
 * between open and done, keeping the phase's open count (open-count.ts) in step. Each transition is a guarded UPDATE,
 * so concurrent recounts of one item change the open count once.
 */
export async function recount(tx: Tx, provider: Provider, phaseId: number, itemId: number, overlap: number): Promise<void> {
  const sql = (q: string) => placeholders(provider, q);
  const adjudicated = `EXISTS (SELECT 1 FROM "HumanLabel" h WHERE h."phaseId" = $1 AND h."itemId" = $2 AND h."source" = 'adjudication')`;
  await tx.$executeRawUnsafe(sql(`UPDATE "QueueEntry" SET "answers" = ${ANSWERS_OF_Q.replace(/q\."/g, '"QueueEntry"."')} WHERE "phaseId" = $1 AND "itemId" = $2`), phaseId, itemId);
  const closed = await tx.$executeRawUnsafe(
    sql(`UPDATE "QueueEntry" SET "done" = true WHERE "phaseId" = $1 AND "itemId" = $2 AND "done" = false AND ("answers" >= $3 OR ${adjudicated})`),
    phaseId,
    itemId,
    overlap,
  );
  const opened = await tx.$executeRawUnsafe(
    sql(`UPDATE "QueueEntry" SET "done" = false WHERE "phaseId" = $1 AND "itemId" = $2 AND "done" = true AND "answers" < $3 AND NOT ${adjudicated}`),
    phaseId,
    itemId,
    overlap,
  );
  await addOpen(tx, provider, phaseId, itemId, opened - closed);
}

/**
 * recount after an answer was added (a submit): the usual outcome, the item reaching k answers,
 * is one guarded UPDATE that stores the count and closes the entry (then the open count), instead
 * of recount's three statements. When that UPDATE changes nothing (fewer than k answers, or the
 * entry was already done), the general recount runs, so the result is recount's in every case.
 */
export async function recountAfterAnswer(tx: Tx, provider: Provider, phaseId: number, itemId: number, overlap: number): Promise<void> {
  const sql = (q: string) => placeholders(provider, q);
  const answers = ANSWERS_OF_Q.replace(/q\."/g, '"QueueEntry"."');
  const adjudicated = `EXISTS (SELECT 1 FROM "HumanLabel" h WHERE h."phaseId" = $1 AND h."itemId" = $2 AND h."source" = 'adjudication')`;
  const closed = await tx.$executeRawUnsafe(
    sql(`UPDATE "QueueEntry" SET "answers" = ${answers}, "done" = true WHERE "phaseId" = $1 AND "itemId" = $2 AND "done" = false AND (${answers} >= $3 OR ${adjudicated})`),
    phaseId,
    itemId,
    overlap,
  );
  if (closed) await addOpen(tx, provider, phaseId, itemId, -closed);
  else await recount(tx, provider, phaseId, itemId, overlap);
}

/**
 * An item answered before the last rebuild was left out of the queue by it: before an answer is
 * taken back (undo, a change to skip, a lead sending a flag back) its entry is put back, counted
 * as done, so that recount can reopen it. `front`: it moves ahead of every open item.
 */
export async function ensureQueueEntry(tx: Tx, provider: Provider, phaseId: number, itemId: number, opts: { front?: boolean } = {}): Promise<void> {
  const state = await tx.queueState.findUnique({ where: { phaseId }, select: { modelId: true } });
  await tx.$executeRawUnsafe(
    placeholders(provider, `INSERT INTO "QueueEntry" ("phaseId", "itemId", "modelId", "rank", "answers", "done") VALUES ($1, $2, $3, -1, 0, true) ON CONFLICT ("phaseId", "itemId") DO NOTHING`),
    phaseId,
    itemId,
    state?.modelId ?? null,
  );
  if (opts.front) {
    await tx.$executeRawUnsafe(
      placeholders(provider, `UPDATE "QueueEntry" SET "rank" = (SELECT MIN(q."rank") FROM "QueueEntry" q WHERE q."phaseId" = $1) - 1 WHERE "phaseId" = $1 AND "itemId" = $2`),
      phaseId,
      itemId,
    );
  }
}

/**
 * The item's final human label from its annotations: set once k annotators labelled it and all
 * agree (k = 1: the one label), removed when that stops being true (an undo). Disagreements are
 * left for a lead; an adjudicated label is never touched here. Both statements decide in SQL on
 * the current answers, so a stale decision can never overwrite a newer one.
 */
export async function settleHumanLabel(tx: Tx, provider: Provider, phaseId: number, itemId: number, overlap: number): Promise<void> {
  const sql = (q: string) => placeholders(provider, q);
  // The item's answers by the item alone, label answers picked by FILTER: with `action = 'label'` in
  // the WHERE, PostgreSQL could read them through ("phaseId", "action", "resolution"), i.e. all the
  // phase's label answers, whenever a young table's statistics made both indexes look alike.
  const label = `FILTER (WHERE a."action" = 'label')`;
  const labels = `FROM "Annotation" a WHERE a."phaseId" = $1 AND a."itemId" = $2 AND a."undoneAt" IS NULL
         GROUP BY a."phaseId", a."itemId" HAVING COUNT(*) ${label} >= $3 AND COUNT(DISTINCT a."label") ${label} = 1`;
  await tx.$executeRawUnsafe(
    sql(`DELETE FROM "HumanLabel" WHERE "phaseId" = $1 AND "itemId" = $2 AND "source" <> 'adjudication'
         AND NOT EXISTS (SELECT 1 ${labels})`),
    phaseId,
    itemId,
    overlap,
  );
  const now = dbNow(provider);
  await tx.$executeRawUnsafe(
    sql(`INSERT INTO "HumanLabel" ("phaseId", "itemId", "label", "source", "userId", "createdAt", "updatedAt")
         SELECT CAST($1 AS INTEGER), CAST($2 AS INTEGER), MIN(a."label") ${label}, 'annotation', CASE WHEN COUNT(*) ${label} = 1 THEN MIN(a."userId") ${label} END, ${now}, ${now}
         ${labels}
         ON CONFLICT ("phaseId", "itemId") DO UPDATE SET "label" = excluded."label", "userId" = excluded."userId", "source" = excluded."source", "updatedAt" = excluded."updatedAt"
         WHERE "HumanLabel"."source" <> 'adjudication'`),
    phaseId,
    itemId,
    overlap,
  );
}

export const NOTE_MAX = 2000;

/** A note as stored: trimmed, empty → null, at most NOTE_MAX characters (400 beyond). */
export function cleanNote(note: string | null | undefined): string | null {
  if (note == null) return null;
  const t = String(note).trim();
  if (t.length > NOTE_MAX) throw badRequest(`a note is at most ${NOTE_MAX} characters, got ${t.length}`);
  return t || null;
}

export interface SubmitInput {
  phaseId: number;
  userId: number;
  itemId: number;
  clientId: string;
  action: string;
  label?: string | null;
  shown?: unknown;
  /** A note for the lead (mostly with a flag). */
  note?: string | null;
}

/** A unique-index violation, from a Prisma model call (P2002) or a raw statement (P2010 carrying the driver's message). */
function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: string; message?: string };
  return code === 'P2002' || (code === 'P2010' && /UNIQUE constraint failed|duplicate key value|23505/i.test(message ?? ''));
}

/** The stored answer a retry names (same client id, same user and item), or null; a client id reused otherwise is a 409. */
async function retriedAnswer(db: Db, clientId: string, userId: number, itemId: number) {
  const existing = await db.annotation.findUnique({ where: { clientId } });
  if (!existing) return null;
  if (existing.userId !== userId) throw conflict(`client id ${clientId} was used by another annotator`);
  // A retry names the same item; another item under the same id is a client bug, not a retry.
  if (existing.itemId !== itemId) throw conflict(`client id ${clientId} was already used for item ${existing.itemId}, not item ${itemId}`);
  return existing;
}

async function duplicateOf(db: Db, clientId: string, userId: number, itemId: number) {
  const existing = await retriedAnswer(db, clientId, userId, itemId);
  return existing ? { annotation: view(existing), duplicate: true } : null;
}

/** Why a submit that is not a retry inserted nothing, most specific first: always a 409. */
async function refusal(db: Db, userId: number, phaseId: number, itemId: number): Promise<never> {
  if (await db.annotation.findFirst({ where: { phaseId, itemId, userId, undoneAt: null }, select: { id: true } })) throw conflict(`you already answered item ${itemId}`);
  if (await db.annotationLease.findUnique({ where: { phaseId_itemId_userId: { phaseId, itemId, userId } }, select: { itemId: true } })) {
    throw conflict(`your lease on item ${itemId} expired and the item went to another annotator`);
  }
  throw conflict(`item ${itemId} is not leased to you`);
}

/** Why a submit inserted nothing: a retry (the stored answer), else a 409. */
async function notInserted(db: Db, clientId: string, userId: number, phaseId: number, itemId: number) {
  return (await duplicateOf(db, clientId, userId, itemId)) ?? (await refusal(db, userId, phaseId, itemId));
}

/**
 * Stores one answer. Idempotent by clientId: a retried submit (the browser did not see the
 * acknowledgement) returns the stored annotation with duplicate = true and changes nothing.
 */
export async function submit(db: Db, input: SubmitInput): Promise<{ annotation: AnnotationView; duplicate: boolean }> {
  const clientId = typeof input.clientId === 'string' ? input.clientId.trim() : '';
  if (!clientId || clientId.length > 200) throw badRequest('clientId must be a non-empty string of at most 200 characters');
  if (!(ACTIONS as readonly string[]).includes(input.action)) throw badRequest(`action must be one of ${ACTIONS.join(', ')}, got "${input.action}"`);
  // A retried submit (same clientId) is found by the INSERT below, which then inserts nothing or
  // hits the clientId's unique index: no lookup before it, and no query for the phase's labels.
  const phase = await phaseRule(db, input.phaseId);
  const label = input.action === 'skip' ? null : (input.label ?? null);
  if (input.action === 'label' && label == null) throw badRequest('a label answer needs a label');
  if (label != null && !phase.labels.includes(label)) throw badRequest(`unknown label "${label}"; this phase's labels are ${phase.labels.join(', ')}`);
  const shown = input.shown === undefined || input.shown === null ? null : JSON.stringify(input.shown);
  if (shown && shown.length > 64_000) throw badRequest('shown is too large');
  const note = cleanNote(input.note);
  const provider = providerOf(db);
  const { phaseId, userId, itemId } = input;
  // $1 … $8 of both the PostgreSQL function and the SQLite statement.
  const values = [phaseId, itemId, userId, input.action, label, clientId, shown, note] as const;
  try {
    if (provider === 'postgres') {
      // One round trip: the statements below, in a function (distillery_submit, see the header).
      const rows = await db.$queryRawUnsafe<{ id: number; itemId: number; action: string; label: string | null; createdAt: unknown }[]>(
        `SELECT * FROM "distillery_submit"($1::int, $2::int, $3::int, $4::text, $5::text, $6::text, $7::text, $8::text)`,
        ...values,
      );
      if (!rows.length) return await notInserted(db, clientId, userId, phaseId, itemId);
      const a = rows[0];
      return { annotation: { id: Number(a.id), itemId: Number(a.itemId), action: a.action, label: a.label, createdAt: toDate(a.createdAt)!.toISOString() }, duplicate: false };
    }
    return await phaseTx(db, provider, phaseId, async (tx) => {
      const now = dbNow(provider);
      // Inserted only while the user holds the item: an unexpired lease, or an expired one on an
      // item that did not go to k others meanwhile (a slow annotator's answer is not lost).
      // The phase's current overlap k is read in the statement (and returned with the row).
      const overlap = `(SELECT p."overlap" FROM "Phase" p WHERE p."id" = $1)`;
      const inserted = await tx.$queryRawUnsafe<{ id: number; itemId: number; action: string; label: string | null; createdAt: unknown; overlap: unknown }[]>(
        placeholders(
          provider,
          `INSERT INTO "Annotation" ("phaseId", "itemId", "userId", "action", "label", "clientId", "shown", "note", "createdAt", "audit", "teacherLabel", "modelId")
           SELECT CAST($1 AS INTEGER), CAST($2 AS INTEGER), CAST($3 AS INTEGER), CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), ${now},
                  COALESCE((SELECT q."audit" FROM "QueueEntry" q WHERE q."phaseId" = $1 AND q."itemId" = $2), false),
                  (SELECT q."teacherLabel" FROM "QueueEntry" q WHERE q."phaseId" = $1 AND q."itemId" = $2),
                  (SELECT q."modelId" FROM "QueueEntry" q WHERE q."phaseId" = $1 AND q."itemId" = $2)
           WHERE EXISTS (SELECT 1 FROM "AnnotationLease" l WHERE l."phaseId" = $1 AND l."itemId" = $2 AND l."userId" = $3
                         AND (l."expiresAt" > ${now}
                              OR (SELECT COUNT(*) FROM "AnnotationLease" o WHERE o."phaseId" = $1 AND o."itemId" = $2 AND o."userId" <> $3 AND o."expiresAt" > ${now})
                               + (SELECT COUNT(DISTINCT a."userId") FROM "Annotation" a WHERE a."phaseId" = $1 AND a."itemId" = $2 AND a."undoneAt" IS NULL AND a."action" <> 'skip') < ${overlap}))
             AND NOT EXISTS (SELECT 1 FROM "Annotation" a WHERE a."phaseId" = $1 AND a."itemId" = $2 AND a."userId" = $3 AND a."undoneAt" IS NULL)
           RETURNING "id", "itemId", "action", "label", "createdAt", ${overlap} AS "overlap"`,
        ),
        ...values,
      );
      const settle = async (action: string, k: number) => {
        // The answer now counts, so the lease can go.
        await tx.$executeRawUnsafe(placeholders(provider, `DELETE FROM "AnnotationLease" WHERE "phaseId" = $1 AND "itemId" = $2 AND "userId" = $3`), phaseId, itemId, userId);
        if (action !== 'skip') await recountAfterAnswer(tx, provider, phaseId, itemId, k);
        if (action === 'label') await settleHumanLabel(tx, provider, phaseId, itemId, k);
      };
      if (!inserted.length) {
        const stored = await retriedAnswer(tx as Db, clientId, userId, itemId);
        if (!stored) return await refusal(tx as Db, userId, phaseId, itemId);
        // A retry of a submit whose process died after its INSERT (SQLite runs these statements
        // without a transaction): the steps after it are each idempotent, so they are finished
        // here; otherwise the item stayed leased to the user, came back in their next batch, and
        // its answer was refused as a second one. Not for an answer undone since (undo re-leased it).
        const phaseRow = await tx.phase.findUnique({ where: { id: phaseId }, select: { overlap: true } });
        if (!stored.undoneAt && phaseRow) await settle(stored.action, Math.max(1, phaseRow.overlap));
        return { annotation: view(stored), duplicate: true };
      }
      const a = inserted[0];
      await settle(input.action, Math.max(1, Number(a.overlap)));
      return { annotation: { id: Number(a.id), itemId: Number(a.itemId), action: a.action, label: a.label, createdAt: toDate(a.createdAt)!.toISOString() }, duplicate: false };
    });
  } catch (e) {
    // Two copies of one submit raced: the loser finds the winner's row.
    if (isUniqueViolation(e)) {
      const again = await duplicateOf(db, clientId, userId, itemId);
      if (again) return again;
    }
    throw e;
  }
}

/**
 * Takes back the user's last non-undone answer in the phase: marks it undone, reopens the item
 * (answer count, human label) and leases it to the user again, ahead of what they already hold.
 * With the client's operation id (`opId`) it is idempotent: the id is stamped on the answer it
 * takes back (first, before anything else changes), so a retried undo whose first answer was
 * lost finds that answer and returns it again (duplicate = true) instead of undoing one more.
 */
export async function undo(
  db: Db,
  input: { phaseId: number; userId: number; opId?: string; answerClientId?: string; leaseMs?: number },
): Promise<{ item: QueueItem; undone: { id: number; action: string; label: string | null }; duplicate?: boolean }> {
  const provider = providerOf(db);
  const { phase, modelId } = await queuePhaseState(db, input.phaseId);
  const ttl = input.leaseMs ?? leaseMs();
  const { phaseId, userId } = input;
  const opId = input.opId === undefined ? undefined : String(input.opId).trim();
  if (opId !== undefined && (!opId || opId.length > 200)) throw badRequest('opId must be a non-empty string of at most 200 characters');
  const replay = async () => {
    if (!opId) return null;
    const done = await db.annotation.findUnique({ where: { undoOpId: opId }, select: { id: true, itemId: true, action: true, label: true, userId: true, phaseId: true, undoneAt: true } });
    if (!done) return null;
    if (done.userId !== userId || done.phaseId !== phaseId) throw conflict(`undo operation ${opId} belongs to another annotator or phase`);
    if (!done.undoneAt) return { resume: done };
    const lease = await db.annotationLease.findUnique({ where: { phaseId_itemId_userId: { phaseId, itemId: done.itemId, userId } }, select: { expiresAt: true } });
    const [item] = await hydrate(db, phase, [{ itemId: done.itemId, expiresAt: lease?.expiresAt ?? new Date() }], modelId);
    return { result: { item, undone: { id: done.id, action: done.action, label: done.label }, duplicate: true } };
  };
  const before = await replay();
  if (before?.result) return before.result;
  let outcome: { undone: { id: number; itemId: number; action: string; label: string | null }; lease: { itemId: number; expiresAt: Date } };
  try {
    outcome = await phaseTx(db, provider, phaseId, async (tx) => {
      // The answer named by its client id (the browser's undo knows which one it means: a lead may
      // have taken a flag back meanwhile), else the user's last one.
      const last =
        before?.resume ??
        (await tx.annotation.findFirst({
          where: { phaseId, userId, undoneAt: null, ...(input.answerClientId ? { clientId: input.answerClientId } : {}) },
          orderBy: { id: 'desc' },
          select: { id: true, itemId: true, action: true, label: true },
        }));
      if (!last) throw new DomainError(input.answerClientId ? 'nothing to undo: that answer was already taken back' : 'nothing to undo', 404, 'not_found');
      if (opId && !before?.resume) {
        // Claim the operation on this answer first: a concurrent copy of this undo hits the unique index.
        const claimed = await tx.$executeRawUnsafe(
          placeholders(provider, `UPDATE "Annotation" SET "undoOpId" = $2 WHERE "id" = $1 AND "undoneAt" IS NULL AND "undoOpId" IS NULL`),
          last.id,
          opId,
        );
        if (claimed !== 1) throw conflict('that answer was just undone by another request; try again');
      }
      // Lease first, then reopen: the item is never free for someone else in between.
      const sortKey = -(performance.timeOrigin + performance.now()); // the most recent undo comes back first
      const leased = await tx.$queryRawUnsafe<{ itemId: number; expiresAt: unknown }[]>(
        placeholders(
          provider,
          `INSERT INTO "AnnotationLease" ("phaseId", "itemId", "userId", "expiresAt", "sortKey") VALUES ($1, $2, $3, ${dbNowPlus(provider, 4)}, $5)
           ON CONFLICT ("phaseId", "itemId", "userId") DO UPDATE SET "expiresAt" = excluded."expiresAt", "sortKey" = excluded."sortKey"
           RETURNING "itemId", "expiresAt"`,
        ),
        phaseId,
        last.itemId,
        userId,
        durationParam(provider, ttl),
        sortKey,
      );
      const marked = await tx.$executeRawUnsafe(placeholders(provider, `UPDATE "Annotation" SET "undoneAt" = ${dbNow(provider)} WHERE "id" = $1 AND "undoneAt" IS NULL`), last.id);
      if (marked !== 1) throw conflict('that answer was just undone by another request; try again');
      await ensureQueueEntry(tx, provider, phaseId, last.itemId);
      await recount(tx, provider, phaseId, last.itemId, phase.overlap);
      await settleHumanLabel(tx, provider, phaseId, last.itemId, phase.overlap);
      return { undone: last, lease: { itemId: last.itemId, expiresAt: toDate(leased[0].expiresAt)! } };
    });
  } catch (e) {
    // Two copies of one undo raced: the loser answers with the winner's result.
    if (opId && isUniqueViolation(e)) {
      const again = await replay();
      if (again?.result) return again.result;
    }
    throw e;
  }
  const [item] = await hydrate(db, phase, [outcome.lease], modelId);
  return { item, undone: { id: outcome.undone.id, action: outcome.undone.action, label: outcome.undone.label } };
}

export interface MyCounts {
  total: number;
  labelled: number;
  skipped: number;
  flagged: number;
  /** Since the start of the annotator's local day (`tzOffset`, else UTC). */
  today: number;
  /** The session going on: answers back from now with no pause over 30 min (progress.ts). */
  session: number;
  sessionStartedAt: string | null;
}

/**
 * The annotator's own counts in the phase (non-undone answers), from the database, so that they
 * survive a reload. `tzOffset`: the browser's getTimezoneOffset() (minutes), for "today".
 */
export async function myCounts(db: Db, phaseId: number, userId: number, opts: { tzOffset?: number; now?: Date } = {}): Promise<MyCounts> {
  const now = opts.now ?? new Date();
  const tz = opts.tzOffset ?? 0;
  if (!Number.isInteger(tz) || Math.abs(tz) > 16 * 60) throw badRequest(`tzOffset must be whole minutes between -960 and 960, got ${opts.tzOffset}`);
  const start = localDayStart(now, tz);
  // A session never spans more than a day in practice; the last day's answers (at most 5,000) decide it.
  const [byAction, today, recent] = await Promise.all([
    db.annotation.groupBy({ by: ['action'], where: { phaseId, userId, undoneAt: null }, _count: { _all: true } }),
    db.annotation.count({ where: { phaseId, userId, undoneAt: null, createdAt: { gte: start } } }),
    db.annotation.findMany({
      where: { phaseId, userId, undoneAt: null, createdAt: { gte: new Date(now.getTime() - 86_400_000) } },
      orderBy: { createdAt: 'desc' },
      take: 5000,
      select: { createdAt: true },
    }),
  ]);
  const n = (a: string) => byAction.find((b) => b.action === a)?._count._all ?? 0;
  const session = currentSession(recent.map((r) => r.createdAt.getTime()), now.getTime());
  return {
    total: n('label') + n('skip') + n('flag'),
    labelled: n('label'),
    skipped: n('skip'),
    flagged: n('flag'),
    today,
    session: session.count,
    sessionStartedAt: session.startedAt == null ? null : new Date(session.startedAt).toISOString(),
  };
}

/** The user's answers (not undone) per phase, for the phase list. */
export async function answersByPhase(db: Db, userId: number): Promise<Map<number, number>> {
  const rows = await db.annotation.groupBy({ by: ['phaseId'], where: { userId, undoneAt: null }, _count: { _all: true } });
  return new Map(rows.map((r) => [r.phaseId, r._count._all]));
}

/** A lead's final label for an item (usually a conflict): it wins over annotators and leaves the queue. */
export async function adjudicate(db: Db, input: { phaseId: number; itemId: number; label: string; userId: number }): Promise<{ itemId: number; label: string; source: 'adjudication' }> {
  const phase = await queuePhase(db, input.phaseId);
  if (!phase.labels.includes(input.label)) throw badRequest(`unknown label "${input.label}"; this phase's labels are ${phase.labels.join(', ')}`);
  const item = await db.item.findFirst({ where: { id: input.itemId, phaseId: input.phaseId }, select: { id: true } });
  if (!item) throw notFound(`item ${input.itemId} in phase ${input.phaseId}`);
  const provider = providerOf(db);
  const { phaseId, itemId } = input;
  await phaseTx(db, provider, phaseId, (tx) => writeTrustedLabel(tx, provider, phase, itemId, input.label, input.userId));
  await audit(db, input.userId, 'label.adjudicate', `phase:${phaseId}/item:${itemId}`, { label: input.label });
  return { itemId, label: input.label, source: 'adjudication' };
}

/**
 * A lead's label (source `adjudication`): it wins over annotators, is never overwritten by them,
 * and takes the item out of the queue. Used by adjudication and by a lead labelling a flagged item.
 */
export async function writeTrustedLabel(tx: Tx, provider: Provider, phase: QueuePhase, itemId: number, label: string, userId: number | null): Promise<void> {
  const now = dbNow(provider);
  await tx.$executeRawUnsafe(
    placeholders(
      provider,
      `INSERT INTO "HumanLabel" ("phaseId", "itemId", "label", "source", "userId", "createdAt", "updatedAt") VALUES ($1, $2, $3, 'adjudication', $4, ${now}, ${now})
       ON CONFLICT ("phaseId", "itemId") DO UPDATE SET "label" = excluded."label", "source" = excluded."source", "userId" = excluded."userId", "updatedAt" = excluded."updatedAt"`,
    ),
    phase.id,
    itemId,
    label,
    userId,
  );
  await recount(tx, provider, phase.id, itemId, phase.overlap);
}
