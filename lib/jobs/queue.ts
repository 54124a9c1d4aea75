/**
 * The crash-safe job queue: work for the worker processes (training rounds, imports, rescoring)
 * lives in the `Job` table and moves through the states below. (Not the *annotation queue* of
 * lib/queue/, which ranks items for people and leases them with `leaseItems`; here a worker
 * `claim`s a job.)
 *
 *     queued ──claim──▶ running ──complete──▶ succeeded
 *       ▲                 │  │
 *       │   fail (retry,  │  └──fail (attempts used up)──▶ failed
 *       └── backoff) / reap (lease expired) / release (worker stopping)
 *     queued ──cancel──▶ cancelled ◀── running with cancelRequested, at the worker's next step
 *
 * Every transition is one guarded UPDATE (… WHERE status = … AND leaseOwner = …), so it is atomic
 * on both databases without an interactive transaction, and a worker that lost its lease (it
 * hung, or was killed and its job was handed to another worker) can no longer change the job:
 * a job reaches `succeeded` exactly once even though a handler may run more than once
 * (at-least-once execution: handlers must be idempotent).
 *
 * `attempts` counts claims: it is incremented when a worker takes the job, so a job whose worker
 * was killed and whose lease was reaped shows attempts = 2 once another worker takes it.
 */
import type { Database, Db } from '../db/client.ts';
import type { Job } from '../db/generated/sqlite/client.ts';
import { badRequest, DomainError, notFound } from '../errors.ts';
import { dbNow, dbNowPlus, durationParam, placeholders, providerOf, toBool, toDate, toInt, toText } from '../db/sql.ts';

export type { Job };

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export interface EnqueueInput {
  type: string;
  /** Anything JSON-serialisable; handlers receive it parsed. */
  payload?: unknown;
  /** Higher runs first. */
  priority?: number;
  /** Claims allowed before the job is failed for good (default 3). */
  maxAttempts?: number;
  /** Not claimed before this time. */
  runAfter?: Date;
  /** While a job with this key is queued or running, enqueue returns it instead of adding one. */
  dedupeKey?: string;
}

export const DEFAULT_MAX_ATTEMPTS = 3;

export async function enqueue(db: Db, input: EnqueueInput): Promise<Job> {
  const type = input.type?.trim();
  if (!type) throw badRequest('a job needs a type');
  const priority = input.priority ?? 0;
  if (!Number.isInteger(priority)) throw badRequest('priority must be an integer');
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw badRequest('maxAttempts must be an integer ≥ 1');
  if (input.runAfter && Number.isNaN(input.runAfter.getTime())) throw badRequest('runAfter is not a valid date');
  const payload = JSON.stringify(input.payload ?? null);
  const dedupeKey = input.dedupeKey || null;
  const data = { type, payload, priority, maxAttempts, dedupeKey, ...(input.runAfter ? { runAfter: input.runAfter } : {}) };
  if (!dedupeKey) return db.job.create({ data });
  // Find-or-create under the unique index: two concurrent enqueues with one key insert one row.
  // The loser finds the winner's row, unless that job ended (and released the key) meanwhile,
  // in which case it may insert.
  for (let tries = 0; tries < 5; tries++) {
    const existing = await db.job.findUnique({ where: { dedupeKey } });
    if (existing) return existing;
    try {
      return await db.job.create({ data });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
  }
  throw new DomainError(`could not enqueue job with key ${dedupeKey}: it keeps changing`, 503, 'busy');
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002';
}

/**
 * Lets the next enqueue with this job's key add a new job while this one still runs: for work
 * whose input may change during the run (a queue rebuild reads the pool once; an import that
 * lands meanwhile needs a rebuild after it, not this one).
 */
export async function releaseDedupeKey(db: Db, id: number): Promise<void> {
  await db.job.updateMany({ where: { id, status: 'running' }, data: { dedupeKey: null } });
}

export async function getJob(db: Db, id: number): Promise<Job | null> {
  return db.job.findUnique({ where: { id } });
}

export interface ListJobsFilter {
  status?: JobStatus | JobStatus[];
  type?: string;
  limit?: number;
  /** Keyset paging: jobs with a smaller id than this (the list is newest first). */
  beforeId?: number;
}

export async function listJobs(db: Db, filter: ListJobsFilter = {}): Promise<Job[]> {
  const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 50), 1), 500);
  return db.job.findMany({
    where: {
      ...(statuses ? { status: { in: statuses } } : {}),
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.beforeId ? { id: { lt: filter.beforeId } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit,
  });
}

/**
 * Cancels a job: a queued job is cancelled at once; a running job is flagged and its worker
 * stops at its next heartbeat (the worker records the final `cancelled`). A finished job is
 * returned unchanged.
 */
export async function cancel(db: Db, id: number): Promise<Job> {
  // Two guarded updates rather than one CASE statement so this needs no dialect. Between them
  // the job may move (queued → running by a claim, or running → queued by the reaper); each
  // guard sees that, and the loop retries.
  for (let tries = 0; tries < 5; tries++) {
    const queued = await db.job.updateMany({
      where: { id, status: 'queued' },
      data: { status: 'cancelled', finishedAt: new Date(), dedupeKey: null, leaseOwner: null, leaseExpiresAt: null },
    });
    if (queued.count === 0) await db.job.updateMany({ where: { id, status: 'running' }, data: { cancelRequested: true } });
    const job = await getJob(db, id);
    if (!job) throw notFound(`Job ${id}`);
    if (job.status !== 'queued') return job;
  }
  throw new DomainError(`job ${id} keeps changing state; try again`, 503, 'busy');
}

// ---------------------------------------------------------------------------------------------
// Worker side. These take the Database (not only the client) because they stamp and compare
// times with the database clock, which is written differently on each provider.

export interface ClaimOptions {
  /** Unique per running worker loop: it is the lease token. */
  workerId: string;
  /** Only these job types (the ones this worker has handlers for). Empty/undefined: any. */
  types?: string[];
  /** How long the lease lasts without a heartbeat. */
  leaseMs: number;
}

/**
 * Takes the next runnable job (highest priority, then oldest runAfter, then oldest id) and leases
 * it to `workerId`, or returns null. One statement: no two claimers, in any process, get the
 * same job.
 *
 * - PostgreSQL: the subquery locks its row with FOR UPDATE SKIP LOCKED, so concurrent claimers
 *   pass over each other's rows instead of queueing behind them.
 * - SQLite: an UPDATE takes the database's write lock before it reads (its program opens a
 *   write transaction up front), so the subquery and the update run as one immediate write,
 *   serialised with every other writer on the file; the outer `status = 'queued'` re-check is
 *   the belt to those braces.
 */
export async function claim(database: Database, opts: ClaimOptions): Promise<Job | null> {
  const provider = providerOf(database.db);
  if (!opts.workerId) throw new Error('claim needs a workerId');
  assertLease(opts.leaseMs);
  const types = opts.types?.filter(Boolean) ?? [];
  const typeFilter = types.length ? `AND "type" IN (${types.map((_, i) => `$${i + 3}`).join(', ')})` : '';
  const now = dbNow(provider);
  const sql = `
    UPDATE "Job" SET
      "status" = 'running',
      "leaseOwner" = $1,
      "leaseExpiresAt" = ${dbNowPlus(provider, 2)},
      "heartbeatAt" = ${now},
      "startedAt" = ${now},
      "attempts" = "attempts" + 1
    WHERE "id" = (
      SELECT "id" FROM "Job"
      WHERE "status" = 'queued' AND "runAfter" <= ${now} ${typeFilter}
      ORDER BY "priority" DESC, "runAfter" ASC, "id" ASC
      LIMIT 1
      ${provider === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : ''}
    ) AND "status" = 'queued'
    RETURNING *`;
  const rows = await raw(database, sql, [opts.workerId, durationParam(provider, opts.leaseMs), ...types]);
  return rows.length ? toJob(rows[0]) : null;
}

export interface HeartbeatResult {
  /** False when the job is no longer running under this worker's lease: stop working on it. */
  held: boolean;
  /** Someone asked to cancel the job: stop and report it (fail() records `cancelled`). */
  cancelRequested: boolean;
}

/**
 * Extends the lease if `workerId` still holds it, and records progress (any JSON-serialisable
 * value; undefined keeps the previous one). A lease that has run out but was not yet reaped is
 * still held: the reaper and the heartbeat are both guarded updates, whichever runs first wins.
 */
export async function heartbeat(
  database: Database,
  jobId: number,
  workerId: string,
  leaseMs: number,
  progress?: unknown,
): Promise<HeartbeatResult> {
  const provider = providerOf(database.db);
  assertLease(leaseMs);
  const rows = await raw(
    database,
    `UPDATE "Job" SET
       "leaseExpiresAt" = ${dbNowPlus(provider, 3)},
       "heartbeatAt" = ${dbNow(provider)},
       "progress" = COALESCE($4, "progress")
     WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
     RETURNING "cancelRequested"`,
    [jobId, workerId, durationParam(provider, leaseMs), progress === undefined ? null : JSON.stringify(progress)],
  );
  if (!rows.length) return { held: false, cancelRequested: false };
  return { held: true, cancelRequested: toBool(rows[0].cancelRequested) };
}

/**
 * Records success if `workerId` still holds the job. Returns the finished job, or null when the
 * lease was lost (the job was reaped and maybe reclaimed): the result is then discarded, which is
 * what keeps `succeeded` to exactly once. A cancel that arrives after the work is done does not
 * undo it: the job still ends `succeeded`.
 */
export async function complete(database: Database, jobId: number, workerId: string, result?: unknown): Promise<Job | null> {
  const provider = providerOf(database.db);
  const rows = await raw(
    database,
    `UPDATE "Job" SET
       "status" = 'succeeded',
       "result" = $3,
       "finishedAt" = ${dbNow(provider)},
       "leaseExpiresAt" = NULL,
       "dedupeKey" = NULL
     WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
     RETURNING *`,
    [jobId, workerId, result === undefined ? null : JSON.stringify(result)],
  );
  return rows.length ? toJob(rows[0]) : null;
}

/** Delay before retry n (n = attempts so far): 5 s, 10 s, 20 s, … capped at 10 minutes. */
export function retryDelayMs(attempts: number, baseMs = 5_000, capMs = 600_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

export interface FailOptions {
  /** Do not retry: the input is wrong, running it again cannot help. */
  permanent?: boolean;
  /** Override the backoff before the retry. */
  retryDelayMs?: number;
}

/**
 * Records a failed attempt by `workerId`: back to `queued` after a backoff while attempts remain,
 * else `failed`; `cancelled` instead when a cancel was requested. Returns the job, or null when
 * the lease was lost.
 */
export async function fail(
  database: Database,
  jobId: number,
  workerId: string,
  error: unknown,
  opts: FailOptions = {},
): Promise<Job | null> {
  const provider = providerOf(database.db);
  // Attempts cannot change while we hold the lease (only a claim increments them, and claims
  // take queued jobs only), and the update below re-checks the lease, so reading first is safe.
  const job = await getJob(database.db, jobId);
  if (!job || job.status !== 'running' || job.leaseOwner !== workerId) return null;
  const delay = opts.retryDelayMs ?? retryDelayMs(job.attempts);
  const now = dbNow(provider);
  const retry = opts.permanent ? 'FALSE' : `"attempts" < "maxAttempts"`;
  const ends = `("cancelRequested" OR NOT (${retry}))`;
  const rows = await raw(
    database,
    `UPDATE "Job" SET
       "status" = CASE WHEN "cancelRequested" THEN 'cancelled' WHEN ${retry} THEN 'queued' ELSE 'failed' END,
       "error" = $3,
       "runAfter" = CASE WHEN ${ends} THEN "runAfter" ELSE ${dbNowPlus(provider, 5)} END,
       "finishedAt" = CASE WHEN ${ends} THEN ${now} ELSE NULL END,
       "leaseOwner" = CASE WHEN ${ends} THEN "leaseOwner" ELSE NULL END,
       "leaseExpiresAt" = NULL,
       "dedupeKey" = CASE WHEN ${ends} THEN NULL ELSE "dedupeKey" END
     WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running' AND "attempts" = $4
     RETURNING *`,
    [jobId, workerId, errorText(error), job.attempts, durationParam(provider, delay)],
  );
  return rows.length ? toJob(rows[0]) : null;
}

/**
 * Hands a job back because this worker is stopping (not because the job failed): it is queued
 * again at once and the attempt is given back. A requested cancel is honoured instead.
 */
export async function release(database: Database, jobId: number, workerId: string): Promise<Job | null> {
  const provider = providerOf(database.db);
  const now = dbNow(provider);
  const rows = await raw(
    database,
    `UPDATE "Job" SET
       "status" = CASE WHEN "cancelRequested" THEN 'cancelled' ELSE 'queued' END,
       "attempts" = CASE WHEN "cancelRequested" OR "attempts" = 0 THEN "attempts" ELSE "attempts" - 1 END,
       "runAfter" = ${now},
       "finishedAt" = CASE WHEN "cancelRequested" THEN ${now} ELSE NULL END,
       "leaseOwner" = NULL,
       "leaseExpiresAt" = NULL,
       "dedupeKey" = CASE WHEN "cancelRequested" THEN NULL ELSE "dedupeKey" END
     WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'
     RETURNING *`,
    [jobId, workerId],
  );
  return rows.length ? toJob(rows[0]) : null;
}

export interface ReapedJob {
  id: number;
  status: JobStatus;
  /** The worker whose lease ran out. */
  previousOwner: string | null;
}

/**
 * Running jobs whose lease ran out (their worker died or hung) go back to `queued`, or to
 * `failed` when their attempts are used up, or to `cancelled` when a cancel was pending. Any
 * worker may call this at any time; concurrent reapers each take a job at most once.
 */
export async function reapExpired(database: Database): Promise<ReapedJob[]> {
  const provider = providerOf(database.db);
  const now = dbNow(provider);
  const ends = `("cancelRequested" OR "attempts" >= "maxAttempts")`;
  // RETURNING yields the new row, so the owner is saved into the error text before it is cleared.
  const rows = await raw(
    database,
    `UPDATE "Job" SET
       "status" = CASE WHEN "cancelRequested" THEN 'cancelled' WHEN "attempts" >= "maxAttempts" THEN 'failed' ELSE 'queued' END,
       "error" = 'lease of worker ' || "leaseOwner" || ' expired during attempt ' || "attempts" || ' (worker died or stopped heartbeating)',
       "runAfter" = ${now},
       "finishedAt" = CASE WHEN ${ends} THEN ${now} ELSE NULL END,
       "leaseOwner" = NULL,
       "leaseExpiresAt" = NULL,
       "dedupeKey" = CASE WHEN ${ends} THEN NULL ELSE "dedupeKey" END
     WHERE "status" = 'running' AND "leaseExpiresAt" < ${now}
     RETURNING "id", "status", "error"`,
    [],
  );
  return rows.map((r) => ({
    id: toInt(r.id),
    status: String(r.status) as JobStatus,
    previousOwner: /^lease of worker (.*) expired during attempt/.exec(String(r.error))?.[1] ?? null,
  }));
}

// ---------------------------------------------------------------------------------------------

/** The payload, result or progress of a job, parsed. */
export function parseJson<T = unknown>(text: string | null): T | null {
  return text == null ? null : (JSON.parse(text) as T);
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : typeof error === 'string' ? error : JSON.stringify(error);
  return (text ?? 'unknown error').slice(0, 4000);
}

function assertLease(leaseMs: number) {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be > 0, got ${leaseMs}`);
}

async function raw(database: Database, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  const provider = providerOf(database.db);
  return database.db.$queryRawUnsafe<Record<string, unknown>[]>(placeholders(provider, sql), ...params);
}

/** A `RETURNING *` row decoded into the Prisma model shape, identical on both providers. */
export function toJob(row: Record<string, unknown>): Job {
  return {
    id: toInt(row.id),
    type: String(row.type),
    payload: String(row.payload),
    status: String(row.status),
    priority: toInt(row.priority),
    attempts: toInt(row.attempts),
    maxAttempts: toInt(row.maxAttempts),
    runAfter: toDate(row.runAfter)!,
    leaseOwner: toText(row.leaseOwner),
    leaseExpiresAt: toDate(row.leaseExpiresAt),
    heartbeatAt: toDate(row.heartbeatAt),
    progress: toText(row.progress),
    result: toText(row.result),
    error: toText(row.error),
    cancelRequested: toBool(row.cancelRequested),
    dedupeKey: toText(row.dedupeKey),
    createdAt: toDate(row.createdAt)!,
    startedAt: toDate(row.startedAt),
    finishedAt: toDate(row.finishedAt),
  };
}
