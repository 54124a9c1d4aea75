/**
 * Pass 2's database side: teachers, the next ordinal, and batch inserts of items with their
 * teacher predictions, one transaction per batch.
 *
 * Rows travel as one JSON parameter per statement that the database unpacks (SQLite json_each,
 * PostgreSQL json_array_elements) instead of a multi-row VALUES list with 8 placeholders per
 * row: the statement text stays small and identical every time, so the database does not
 * parse a new statement with thousands of placeholders for each batch (that parse alone cost
 * ~5 µs per row on SQLite), and no statement can hit SQLite's limit on host parameters.
 * Probabilities travel as hex and are decoded to BLOB/BYTEA in SQL. Within a batch, rows are
 * inserted in hash order (see buildChunks).
 */

import { SQLITE_BUSY_TIMEOUT_MS } from '../db/busy.ts';
import { Worker } from 'node:worker_threads';
import { createDatabase, type Db } from '../db/client.ts';
import type { ImportRow } from './rows.ts';
import { placeholders, providerOf } from '../db/sql.ts';
import { encodeProbsHex } from '../db/probs.ts';

export interface TeacherRef {
  id: number;
  name: string;
  created: boolean;
}

/** Finds or creates the phase's teachers by name, in the given order. */
export async function upsertTeachers(db: Db, phaseId: number, names: readonly string[]): Promise<TeacherRef[]> {
  const out: TeacherRef[] = [];
  for (const name of names) {
    const existing = await db.teacher.findUnique({ where: { phaseId_name: { phaseId, name } }, select: { id: true } });
    if (existing) {
      out.push({ id: existing.id, name, created: false });
      continue;
    }
    const t = await db.teacher.upsert({ where: { phaseId_name: { phaseId, name } }, create: { phaseId, name }, update: {}, select: { id: true } });
    out.push({ id: t.id, name, created: true });
  }
  return out;
}

/** The ordinal the next imported item gets: one past the phase's largest. */
export async function nextOrdinal(db: Db, phaseId: number): Promise<number> {
  const agg = await db.item.aggregate({ where: { phaseId }, _max: { ordinal: true } });
  return (agg._max.ordinal ?? -1) + 1;
}

export interface PendingItem {
  row: ImportRow;
  hash: string;
  ordinal: number;
}

export interface BatchResult {
  inserted: number;
  /** Predictions written, per teacher (same order as the teacher list given). */
  predictions: number[];
}

const ITEM_COLUMNS = `"phaseId", "externalId", "text", "textHash", "timeKey", "ordinal", "goldLabel", "metadata", "createdAt"`;

/** Each JSON row: [externalId, text, textHash, timeKey, ordinal, goldLabel, metadata]. */
const SQLITE_INSERT_ITEMS = placeholders(
  'sqlite',
  `INSERT INTO "Item" (${ITEM_COLUMNS})
  SELECT $1, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, $2
  FROM json_each($3) AS j WHERE true
  ON CONFLICT ("phaseId", "textHash") DO NOTHING`,
);

/**
 * Each JSON row: [textHash, probs hex]. The items this statement's batch inserted are exactly
 * those with an id above the largest id before it: SQLite holds the write lock for the whole
 * transaction. CROSS JOIN keeps json_each as the outer loop, so each row is one probe of the
 * (phaseId, textHash) unique index.
 */
const SQLITE_INSERT_PREDICTIONS = placeholders(
  'sqlite',
  `INSERT INTO "TeacherPrediction" ("itemId", "teacherId", "probs")
  SELECT i."id", $1, unhex(j.value ->> 1)
  FROM json_each($2) AS j CROSS JOIN "Item" AS i
  WHERE i."phaseId" = $3 AND i."textHash" = j.value ->> 0 AND i."id" > $4`,
);

/**
 * PostgreSQL does the batch in one statement: the items insert's RETURNING says which rows are
 * new (ids alone cannot: concurrent transactions may take ids in between), and the
 * predictions insert joins on it. Predictions JSON rows: [textHash, teacherId, probs hex].
 */
const PG_INSERT_BATCH = `WITH ins AS (
    INSERT INTO "Item" (${ITEM_COLUMNS})
    SELECT $1::int, j ->> 0, j ->> 1, j ->> 2, (j ->> 3)::float8, (j ->> 4)::int, j ->> 5, j ->> 6, (now() AT TIME ZONE 'UTC')
    FROM json_array_elements($2::json) AS j
    ON CONFLICT ("phaseId", "textHash") DO NOTHING
    RETURNING "id", "textHash"
  ), preds AS (
    INSERT INTO "TeacherPrediction" ("itemId", "teacherId", "probs")
    SELECT ins."id", (p ->> 1)::int, decode(p ->> 2, 'hex')
    FROM json_array_elements($3::json) AS p JOIN ins ON ins."textHash" = p ->> 0
    RETURNING "teacherId"
  )
  SELECT (SELECT count(*) FROM ins)::int AS inserted,
    (SELECT json_agg(json_build_array(t, n))::text FROM (SELECT "teacherId" AS t, count(*)::int AS n FROM preds GROUP BY "teacherId") x) AS per_teacher`;

/** Pages of WAL after which an import transaction's commit checkpoints (SQLite's default is 1000). */
const IMPORT_WAL_AUTOCHECKPOINT = 10_000;

/**
 * Rows per statement inside a batch's transaction. Prisma keeps the arguments of its last 100
 * debug calls in memory even with logging off (@prisma/debug's argsHistory), raw-query
 * parameters included: with the whole batch as one 5 MB JSON string, that history alone held
 * 150+ MB. Statements of 2000 rows keep it near 50 MB and cost nothing measurable.
 */
const ROWS_PER_STATEMENT = 2000;

/**
 * Inserts one batch in one transaction. Items whose text hash the phase already has are
 * skipped by the unique index (ON CONFLICT DO NOTHING), which also settles two imports racing
 * on the same phase; only items this batch inserted get teacher predictions. Hashes must be
 * unique within the batch.
 */
async function writeBatch(
  target: WriteTarget,
  phaseId: number,
  items: PendingItem[],
  teachers: readonly { id: number; name: string }[],
): Promise<BatchResult> {
  const chunks = buildChunks(target.provider, items, teachers);
  return target.provider === 'sqlite' ? writeSqlite(target.transaction, phaseId, chunks, teachers) : writePostgres(target.db, phaseId, chunks, teachers);
}

/** A batch as the JSON parameters of its statements (sorts `items` in place). */
function buildChunks(provider: 'sqlite' | 'postgres', items: PendingItem[], teachers: readonly { id: number; name: string }[]): Chunk[] {
  // Inserting in hash order keeps consecutive inserts on neighbouring pages of the
  // (phaseId, textHash) index, the one index whose keys arrive in random order.
  items.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const chunks: Chunk[] = [];
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) {
    const part = items.slice(start, start + ROWS_PER_STATEMENT);
    const rows = part.map(({ row, hash, ordinal }) => [row.externalId, row.text, hash, row.timeKey, ordinal, row.goldLabel, row.metadata]);
    if (provider === 'sqlite') {
      const predictions = teachers.map((t) => {
        const preds: [string, string][] = [];
        for (const { row, hash } of part) {
          for (const p of row.predictions) if (p.teacher === t.name) preds.push([hash, encodeProbsHex(p.probs)]);
        }
        return preds.length ? JSON.stringify(preds) : null;
      });
      chunks.push({ items: JSON.stringify(rows), predictions });
    } else {
      const teacherId = new Map(teachers.map((t) => [t.name, t.id]));
      const preds: [string, number, string][] = [];
      for (const { row, hash } of part) for (const p of row.predictions) preds.push([hash, teacherId.get(p.teacher)!, encodeProbsHex(p.probs)]);
      chunks.push({ items: JSON.stringify(rows), predictions: [JSON.stringify(preds)] });
    }
  }
  return chunks;
}

/**
 * One statement's worth of a batch, as JSON: the items, and the predictions: for SQLite one
 * JSON per teacher of [textHash, probs hex] rows (null: none), for PostgreSQL one JSON of
 * [textHash, teacherId, probs hex] rows.
 */
interface Chunk {
  items: string;
  predictions: (string | null)[];
}

type Sql = Pick<Db, '$executeRawUnsafe' | '$queryRawUnsafe'>;
type InTransaction = <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;

type WriteTarget = { provider: 'postgres'; db: Db } | { provider: 'sqlite'; transaction: InTransaction };

async function writeSqlite(transaction: InTransaction, phaseId: number, chunks: Chunk[], teachers: readonly { id: number }[]): Promise<BatchResult> {
  return transaction(async (sql) => {
    const now = sqliteNow();
    const predictions = teachers.map(() => 0);
    let inserted = 0;
    for (const chunk of chunks) {
      const n = await sql.$executeRawUnsafe(SQLITE_INSERT_ITEMS, phaseId, now, chunk.items);
      if (n === 0) continue;
      inserted += n;
      const [{ last }] = await sql.$queryRawUnsafe<{ last: number | bigint }[]>('SELECT last_insert_rowid() AS last');
      const before = Number(last) - n;
      for (let k = 0; k < teachers.length; k++) {
        const preds = chunk.predictions[k];
        if (preds) predictions[k] += await sql.$executeRawUnsafe(SQLITE_INSERT_PREDICTIONS, teachers[k].id, preds, phaseId, before);
      }
    }
    return { inserted, predictions };
  });
}

async function writePostgres(db: Db, phaseId: number, chunks: Chunk[], teachers: readonly { id: number }[]): Promise<BatchResult> {
  return db.$transaction(
    async (tx) => {
      const predictions = teachers.map(() => 0);
      let inserted = 0;
      for (const chunk of chunks) {
        const [r] = await tx.$queryRawUnsafe<{ inserted: number; per_teacher: string | null }[]>(
          PG_INSERT_BATCH,
          phaseId,
          chunk.items,
          chunk.predictions[0],
        );
        inserted += Number(r.inserted);
        for (const [teacherId, n] of JSON.parse(r.per_teacher ?? '[]') as [number, number][]) {
          predictions[teachers.findIndex((t) => t.id === teacherId)] += n;
        }
      }
      return { inserted, predictions };
    },
    TRANSACTION_OPTIONS,
  );
}

/** Writes an import's batches; close it when the import ends, whatever happened. */
export interface BatchWriter {
  write(phaseId: number, items: PendingItem[], teachers: readonly { id: number; name: string }[]): Promise<BatchResult>;
  close(): Promise<void>;
}

const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 300_000 };

/**
 * PostgreSQL: one interactive transaction per batch on `db`.
 *
 * SQLite: a connection of the import's own, where each batch is BEGIN IMMEDIATE … COMMIT.
 * Interactive transactions on `db` would work but cost a lot here: the libsql adapter opens a
 * new connection for every transaction and never closes it (it lingers until garbage
 * collection, with its page cache: a 1M-row import held ~300 MB that way), the new
 * connection lacks the start-up settings, and its cache is cold for every batch. A connection
 * nobody else uses may run BEGIN/COMMIT as plain statements. An in-memory database cannot be
 * opened twice, so it falls back to interactive transactions.
 */
export async function openBatchWriter(db: Db): Promise<BatchWriter> {
  const provider = providerOf(db);
  if (provider === 'postgres') {
    const target: WriteTarget = { provider, db };
    return { write: (phaseId, items, teachers) => writeBatch(target, phaseId, items, teachers), close: async () => {} };
  }
  const [main] = await db.$queryRawUnsafe<{ file: string }[]>(`SELECT file FROM pragma_database_list WHERE name = 'main'`);
  if (!main?.file) {
    const target: WriteTarget = {
      provider,
      transaction: (work) =>
        db.$transaction(async (tx) => {
          await tx.$queryRawUnsafe(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          return work(tx);
        }, TRANSACTION_OPTIONS),
    };
    return { write: (phaseId, items, teachers) => writeBatch(target, phaseId, items, teachers), close: async () => {} };
  }
  const threaded = await openWorkerWriter(main.file);
  if (threaded) return threaded;
  const own = createDatabase({ provider: 'sqlite', url: `file:${main.file}`, file: main.file }).db;
  try {
    // Wait for other writers rather than fail; a page cache that keeps the hot part of the
    // indexes across batches; and fewer checkpoints (each one syncs the file; large imports
    // spent much of their time there).
    await own.$queryRawUnsafe(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    await own.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
    await own.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    await own.$queryRawUnsafe(`PRAGMA cache_size = ${IMPORT_CACHE_KIB}`);
    await own.$queryRawUnsafe(`PRAGMA wal_autocheckpoint = ${IMPORT_WAL_AUTOCHECKPOINT}`);
  } catch (e) {
    await own.$disconnect();
    throw e;
  }
  const target: WriteTarget = {
    provider,
    async transaction(work) {
      await own.$executeRawUnsafe('BEGIN IMMEDIATE');
      try {
        const result = await work(own);
        await own.$executeRawUnsafe('COMMIT');
        return result;
      } catch (e) {
        await own.$executeRawUnsafe('ROLLBACK').catch(() => {});
        throw e;
      }
    },
  };
  return { write: (phaseId, items, teachers) => writeBatch(target, phaseId, items, teachers), close: () => own.$disconnect() };
}

/**
 * The import's SQLite connection on a worker thread (sqlite-write-worker.mjs): the same
 * statements, settings and one transaction per batch as the in-process writer below, but
 * write() returns while the batch is written, so the caller can parse the next one meanwhile
 * (import pass 2 keeps one batch in flight). Batches run in the order given. Null when the
 * worker cannot start here (then the in-process writer is used).
 */
async function openWorkerWriter(file: string): Promise<BatchWriter | null> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./sqlite-write-worker.mjs', import.meta.url));
  } catch {
    return null;
  }
  type Reply = { type: 'opened' } | { type: 'done'; id: number; inserted: number; predictions: number[] } | { type: 'failed'; id?: number; message: string; code?: string };
  const waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  let opened: { resolve: (ok: boolean) => void } | null = null;
  let dead: Error | null = null;
  const failAll = (e: Error) => {
    dead ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    opened?.resolve(false);
    opened = null;
  };
  worker.on('message', (m: Reply) => {
    if (m.type === 'opened') {
      opened?.resolve(true);
      opened = null;
      return;
    }
    if (m.type === 'failed' && m.id === undefined) {
      failAll(Object.assign(new Error(m.message), { code: m.code }));
      return;
    }
    const w = waiting.get(m.id!);
    if (!w) return;
    waiting.delete(m.id!);
    if (m.type === 'done') w.resolve({ inserted: m.inserted, predictions: m.predictions });
    else w.reject(Object.assign(new Error(m.message), { code: (m as { code?: string }).code }));
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`the import's SQLite writer thread exited (code ${code})`)));
  const ok = await new Promise<boolean>((resolve) => {
    opened = { resolve };
    worker.postMessage({
      type: 'open',
      file,
      // As the in-process writer's connection (see openBatchWriter).
      pragmas: [
        'PRAGMA busy_timeout = 10000',
        'PRAGMA synchronous = NORMAL',
        'PRAGMA foreign_keys = ON',
        `PRAGMA cache_size = ${IMPORT_CACHE_KIB}`,
        `PRAGMA wal_autocheckpoint = ${IMPORT_WAL_AUTOCHECKPOINT}`,
      ],
      insertItems: SQLITE_INSERT_ITEMS,
      insertPredictions: SQLITE_INSERT_PREDICTIONS,
    });
  });
  if (!ok) {
    await worker.terminate();
    return null;
  }
  let nextId = 0;
  const inFlight = new Set<Promise<unknown>>();
  return {
    write(phaseId, items, teachers) {
      if (dead) return Promise.reject(dead);
      const chunks = buildChunks('sqlite', items, teachers);
      const id = nextId++;
      const done = new Promise<BatchResult>((resolve, reject) => waiting.set(id, { resolve, reject }));
      worker.postMessage({ type: 'batch', id, phaseId, now: sqliteNow(), chunks, teacherIds: teachers.map((t) => t.id) });
      const settled = done.then(
        () => {},
        () => {},
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return done;
    },
    async close() {
      // Let batches already sent finish (or fail) before the connection goes.
      await Promise.all(inFlight);
      if (!dead) worker.postMessage({ type: 'close' });
      await new Promise<void>((resolve) => {
        if (dead) resolve();
        else worker.once('exit', () => resolve());
      });
    },
  };
}

/** Page cache of the import's SQLite connection (negative: KiB). */
const IMPORT_CACHE_KIB = -16_384;

/** DateTime as Prisma writes it to SQLite, so imported rows sort and parse like the rest. */
function sqliteNow(): string {
  return new Date().toISOString().replace('Z', '+00:00');
}
