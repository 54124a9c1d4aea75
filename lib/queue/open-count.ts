/**
 * A phase's open count: the queue entries that still want answers. The last build stores it in
 * QueueState.open; every change since (a submit closing an item, an undo reopening one) goes to
 * one of OPEN_SHARDS rows of QueueOpenShard, the item's (itemId % OPEN_SHARDS), and the count is
 * QueueState.open plus their sum. One counter row, which every submit of a phase updated, made
 * PostgreSQL's submits wait on each other's commits (migration 20261203010013_queue_open_shards).
 */
import type { Db } from '../db/client.ts';
import { placeholders, providerOf, toDate, type Provider } from '../db/sql.ts';

export const OPEN_SHARDS = 16;

type Exec = Pick<Db, '$executeRawUnsafe'>;

/** Adds `delta` to the phase's open count, in the item's shard (PostgreSQL's distillery_submit does the same). */
export async function addOpen(tx: Exec, provider: Provider, phaseId: number, itemId: number, delta: number): Promise<void> {
  if (!delta) return;
  await tx.$executeRawUnsafe(
    placeholders(
      provider,
      `INSERT INTO "QueueOpenShard" AS d ("phaseId", "shard", "delta") VALUES ($1, $2, $3)
       ON CONFLICT ("phaseId", "shard") DO UPDATE SET "delta" = d."delta" + excluded."delta"`,
    ),
    phaseId,
    itemId % OPEN_SHARDS,
    delta,
  );
}

/** SQL: the open count of the QueueState row aliased `s` (NULL when there is none). */
export const OPEN_OF_S = `(s."open" + COALESCE((SELECT SUM(d."delta") FROM "QueueOpenShard" d WHERE d."phaseId" = s."phaseId"), 0))`;

/** Folds the shards back into QueueState.open (inside a rebuild's transaction, which sets a new count). */
export async function clearOpenShards(tx: Exec, provider: Provider, phaseId: number): Promise<void> {
  await tx.$executeRawUnsafe(placeholders(provider, `DELETE FROM "QueueOpenShard" WHERE "phaseId" = $1`), phaseId);
}

export interface QueueStateRow {
  phaseId: number;
  modelId: number | null;
  strategy: string;
  open: number;
  total: number;
  builtAt: Date;
}

/** The phase's QueueState with its current open count (OPEN_OF_S), or null before the first build. */
export async function queueState(db: Db, phaseId: number): Promise<QueueStateRow | null> {
  const rows = await db.$queryRawUnsafe<{ modelId: unknown; strategy: string; open: unknown; total: unknown; builtAt: unknown }[]>(
    placeholders(providerOf(db), `SELECT s."modelId", s."strategy", ${OPEN_OF_S} AS "open", s."total", s."builtAt" FROM "QueueState" s WHERE s."phaseId" = $1`),
    phaseId,
  );
  const s = rows[0];
  return s ? { phaseId, modelId: s.modelId == null ? null : Number(s.modelId), strategy: s.strategy, open: Number(s.open), total: Number(s.total), builtAt: toDate(s.builtAt)! } : null;
}
