/**
 * A per-phase lock row (PhaseLock) held while an import writes: two imports into one phase run
 * their write passes one after the other, so each takes its ordinals (the time order when items
 * have no time key) after the other's instead of both starting from the same "next ordinal".
 * A crash never wedges the phase: on PostgreSQL the holder renews a short TTL, so the row of a
 * killed process expires; on SQLite (one host) no renewal is written, because a write from this
 * connection between the import writer thread's batches makes that thread's next transaction fail
 * with SQLITE_BUSY (stale snapshot). There the row carries a long TTL and the holder's pid, and a
 * waiter takes over the row of a process that no longer exists. A waiting import polls
 * asynchronously and gives up with 409 after a bounded wait.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { conflict } from '../errors.ts';
import { dbNow, dbNowPlus, durationParam, placeholders, providerOf } from '../db/sql.ts';

export const LOCK_TTL_MS = 60_000;
const SQLITE_LOCK_TTL_MS = 6 * 3600_000;
const RENEW_MS = 15_000;

const waitLimitMs = () => {
  const v = Number(process.env.DISTILLERY_IMPORT_LOCK_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 10 * 60_000;
};

function processGone(owner: string): boolean {
  const pid = Number(owner.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function tryTake(db: Db, phaseId: number, kind: string, owner: string): Promise<boolean> {
  const provider = providerOf(db);
  if (provider === 'sqlite') {
    const held = await db.phaseLock.findUnique({ where: { phaseId_kind: { phaseId, kind } }, select: { owner: true } });
    if (held && held.owner !== owner && processGone(held.owner)) await db.phaseLock.deleteMany({ where: { phaseId, kind, owner: held.owner } });
  }
  const rows = await db.$queryRawUnsafe<{ owner: string }[]>(
    placeholders(
      provider,
      `INSERT INTO "PhaseLock" ("phaseId", "kind", "owner", "expiresAt") VALUES ($1, $2, $3, ${dbNowPlus(provider, 4)})
       ON CONFLICT ("phaseId", "kind") DO UPDATE SET "owner" = excluded."owner", "expiresAt" = excluded."expiresAt"
       WHERE "PhaseLock"."expiresAt" <= ${dbNow(provider)} OR "PhaseLock"."owner" = excluded."owner"
       RETURNING "owner"`,
    ),
    phaseId,
    kind,
    owner,
    durationParam(provider, provider === 'sqlite' ? SQLITE_LOCK_TTL_MS : LOCK_TTL_MS),
  );
  return rows.length === 1;
}

/** Runs `fn` while holding the phase's `kind` lock, waiting for it first if another holder has it. */
export async function withPhaseLock<T>(db: Db, phaseId: number, kind: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const limit = opts.waitMs ?? waitLimitMs();
  const started = Date.now();
  const take = () =>
    tryTake(db, phaseId, kind, owner).catch((e) => {
      // A database from before the PhaseLock migration (the upgrade test fills one with an
      // import); the console and the worker always migrate first, so they never get here.
      if (/no such table: (main\.)?PhaseLock|relation "PhaseLock" does not exist/.test(String((e as Error).message))) return null;
      throw e;
    });
  let got = await take();
  if (got === null) return fn();
  for (let pause = 50; !got; pause = Math.min(pause * 2, 1000)) {
    if (Date.now() - started >= limit) throw conflict(`another ${kind} into phase ${phaseId} is running; try again when it has finished`);
    await new Promise((r) => setTimeout(r, pause));
    got = await take();
  }
  const renew = providerOf(db) === 'postgres' ? setInterval(() => void tryTake(db, phaseId, kind, owner).catch(() => {}), RENEW_MS) : undefined;
  renew?.unref?.();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await db.$executeRawUnsafe(placeholders(providerOf(db), `DELETE FROM "PhaseLock" WHERE "phaseId" = $1 AND "kind" = $2 AND "owner" = $3`), phaseId, kind, owner).catch(() => {});
  }
}
