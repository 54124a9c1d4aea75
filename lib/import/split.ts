/**
 * The temporal split: a phase's newest items form its test slice, so a student is always
 * evaluated on data from after what it trained on (as it will be used in production).
 */

import { SQLITE_BUSY_TIMEOUT_MS } from '../db/busy.ts';
import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { placeholders, providerOf } from '../db/sql.ts';

/** How many of `total` items form the test slice (ceil, with a little slack for 0.1 * 30 = 3.0000000000000004). */
export function testSliceSize(total: number, testFraction: number): number {
  const f = Math.min(1, Math.max(0, testFraction));
  return Math.min(total, Math.max(0, Math.ceil(total * f - 1e-9)));
}

/**
 * Oldest first: items without a time key count as older than any with one, then by time key,
 * then ordinal (import order), then id. Newest first is the exact reverse.
 */
const NEWEST_FIRST = `"timeKey" DESC NULLS LAST, "ordinal" DESC, "id" DESC`;

const UPDATE_SPLIT = `UPDATE "Item" SET "split" = CASE WHEN r.rn <= $1 THEN 'test' ELSE 'train' END
  FROM (SELECT "id", ROW_NUMBER() OVER (ORDER BY ${NEWEST_FIRST}) AS rn FROM "Item" WHERE "phaseId" = $2) AS r
  WHERE "Item"."id" = r."id" AND "Item"."split" <> CASE WHEN r.rn <= $1 THEN 'test' ELSE 'train' END`;

/**
 * Marks the newest ceil(testFraction × n) items of the phase 'test' and the rest 'train'.
 * Only rows whose split changes are written, so re-running it after a small import is cheap.
 */
export async function recomputeSplit(db: Db, phaseId: number): Promise<{ train: number; test: number }> {
  const provider = providerOf(db);
  return db.$transaction(
    async (tx) => {
      if (provider === 'sqlite') await tx.$queryRawUnsafe(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      // Write first: on SQLite this takes the write lock before anything is read (a read
      // transaction cannot be upgraded once another connection has written), and on both
      // databases it serialises two recomputes of the same phase.
      const touched = await tx.$executeRawUnsafe(placeholders(provider, 'UPDATE "Phase" SET "testFraction" = "testFraction" WHERE "id" = $1'), phaseId);
      if (touched === 0) throw notFound('Phase');
      const phase = await tx.phase.findUniqueOrThrow({ where: { id: phaseId }, select: { testFraction: true } });
      const total = await tx.item.count({ where: { phaseId } });
      const test = testSliceSize(total, phase.testFraction);
      await tx.$executeRawUnsafe(placeholders(provider, UPDATE_SPLIT), test, phaseId);
      return { train: total - test, test };
    },
    { maxWait: 30_000, timeout: 300_000 },
  );
}
