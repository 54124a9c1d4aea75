/**
 * SQLite lock waits that never freeze the process. libsql runs each statement synchronously on
 * the calling thread, so SQLite's own busy handler (busy_timeout) sleeps *on the event loop*: with
 * a 10 s timeout, one write waiting for another process's lock stalled every request of the web
 * server, even those that need no database. Instead each connection gets a busy timeout of a few
 * milliseconds and a statement that still finds the database locked is retried asynchronously
 * (timers, so other requests run meanwhile) until SQLITE_BUSY_WAIT_MS have passed; then it fails
 * with a RetryLaterError that the HTTP layer answers as 503 with Retry-After.
 */
import { RetryLaterError } from '../errors.ts';

/** busy_timeout of each connection: the longest a single attempt blocks the event loop. */
export const SQLITE_BUSY_TIMEOUT_MS = 5;
export const DEFAULT_BUSY_WAIT_MS = 3000;

export function busyWaitMs(): number {
  const v = Number(process.env.DISTILLERY_SQLITE_BUSY_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_BUSY_WAIT_MS;
}

/** SQLITE_BUSY / SQLITE_LOCKED however it arrives: the driver's error, the adapter's (SocketTimeout), or Prisma's wrapping of it. */
export function isBusyError(e: unknown): boolean {
  for (let x = e as { code?: unknown; message?: unknown; cause?: unknown; kind?: unknown; rawCode?: unknown } | undefined, depth = 0; x && depth < 5; depth++) {
    if (typeof x !== 'object') return false;
    if (x instanceof RetryLaterError) return x.code === 'busy';
    // Prisma rethrows an adapter's error as PrismaClientKnownRequestError, keeping its code and message.
    if (x.kind === 'SocketTimeout' || x.code === 'busy') return true;
    if (typeof x.rawCode === 'number' && ((x.rawCode & 0xff) === 5 || (x.rawCode & 0xff) === 6)) return true;
    if (typeof x.message === 'string' && /SQLITE_BUSY|database is locked|SQLITE_LOCKED|the database is busy/.test(x.message)) return true;
    x = x.cause as typeof x;
  }
  return false;
}

export const databaseBusy = (waitedMs: number) =>
  new RetryLaterError(`the database is busy (locked by another writer for over ${Math.round(waitedMs)} ms); try again shortly`, 503, 'busy', 2);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn`, retrying on SQLITE_BUSY with growing pauses, for at most `maxWaitMs` in all. */
export async function retryBusy<T>(fn: () => Promise<T>, maxWaitMs = busyWaitMs()): Promise<T> {
  const start = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isBusyError(e)) throw e;
      const waited = performance.now() - start;
      if (waited >= maxWaitMs) throw databaseBusy(waited);
      await sleep(Math.min(5 * 2 ** attempt, 100, Math.max(1, maxWaitMs - waited)));
    }
  }
}

type Queryable = { queryRaw(q: unknown): Promise<unknown>; executeRaw(q: unknown): Promise<unknown> };
type Adapter = Queryable & { startTransaction(...a: unknown[]): Promise<Queryable>; executeScript?(s: string): Promise<void> };
type Factory = { connect(): Promise<unknown>; connectToShadowDb?(): Promise<unknown> };

function wrapQueryable<T extends Queryable>(q: T, maxWaitMs: number): T {
  return new Proxy(q, {
    get(target, prop, receiver) {
      if (prop === 'queryRaw' || prop === 'executeRaw') return (query: unknown) => retryBusy(() => target[prop](query), maxWaitMs);
      if (prop === 'executeScript') return (s: string) => retryBusy(() => (target as unknown as Adapter).executeScript!(s), maxWaitMs);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

type LibsqlClient = {
  execute(stmt: unknown): Promise<unknown>;
  transaction(mode: string): Promise<{ close(): void }>;
};

/**
 * Two fixes to the libsql client under the adapter (measured with two connections on one file):
 * - A statement that failed with SQLITE_BUSY stays "in progress" on its connection, and nothing
 *   that connection writes afterwards is committed (later INSERTs were visible to it only, and
 *   lost with it). After a busy error the connection is retired: `transaction()` hands it to a
 *   transaction object (the client opens a fresh one for what follows) and closing that closes
 *   it. This runs inside the adapter's statement mutex (performIO and startTransaction hold it
 *   around these calls), so no other statement uses the bad connection in between. The fresh
 *   connection gets the busy timeout from the client's config and tuneSqlite's pragmas again.
 * - Interactive transactions begin IMMEDIATE (the write lock up front), retried asynchronously
 *   while another process holds it, instead of DEFERRED: inside a transaction a statement retried
 *   after a busy error leaves COMMIT failing ("SQL statements in progress", measured), so
 *   statements inside transactions are not retried (wrapQueryable only wraps the adapter itself)
 *   and must never meet a busy writer.
 */
function patchLibsqlClient(client: LibsqlClient, maxWaitMs: number): void {
  const execute = client.execute.bind(client);
  const transaction = client.transaction.bind(client);
  const retire = async () => {
    try {
      (await transaction('deferred')).close();
      await execute('PRAGMA foreign_keys = ON');
      await execute('PRAGMA synchronous = NORMAL');
    } catch {
      // The original error says what happened; the next statement tries again.
    }
  };
  client.execute = async (stmt: unknown) => {
    try {
      return await execute(stmt);
    } catch (e) {
      if (isBusyError(e)) await retire();
      throw e;
    }
  };
  client.transaction = async () => {
    const start = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await transaction('write');
      } catch (e) {
        if (!isBusyError(e)) throw e;
        await retire();
        const waited = performance.now() - start;
        if (waited >= maxWaitMs) throw databaseBusy(waited);
        await sleep(Math.min(5 * 2 ** attempt, 100, Math.max(1, maxWaitMs - waited)));
      }
    }
  };
}

/** The libsql adapter factory with every statement retried asynchronously on SQLITE_BUSY. */
export function retryingSqliteAdapter<F extends Factory>(factory: F, maxWaitMs = busyWaitMs()): F {
  return new Proxy(factory, {
    get(target, prop, receiver) {
      if (prop === 'connect' || prop === 'connectToShadowDb') {
        return async () => {
          const adapter = (await (target[prop] as () => Promise<Adapter>).call(target)) as Adapter & { client?: LibsqlClient };
          if (adapter.client && typeof adapter.client.execute === 'function' && typeof adapter.client.transaction === 'function') patchLibsqlClient(adapter.client, maxWaitMs);
          return wrapQueryable(adapter, maxWaitMs);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
