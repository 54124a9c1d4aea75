/**
 * Prepared statements kept per SQLite connection. The libsql client prepares every statement
 * anew (`db.prepare(sql)` in each execute), and compiling SQL was the largest single item of the
 * console's CPU under the annotation load (9% of it, profiled with `next start --cpu-prof`): a
 * submit runs the same handful of statement texts every time. Each connection (a libsql
 * `Database`) keeps its last STMT_CACHE_SIZE statements by text, least recently used dropped.
 *
 * Safe to share because the client runs a statement to its end synchronously (all() or run())
 * before the next one starts, and libsql resets a statement before each run (checked in the
 * test: a statement reused after an error or a partial read gives fresh results, and a finished
 * one holds no read snapshot). The cache lives on the connection object: a connection retired
 * after SQLITE_BUSY (busy.ts) takes its statements with it; close() empties it.
 */
import Database from 'libsql';

export const STMT_CACHE_SIZE = 256;

type Stmt = unknown;
const CACHE = Symbol.for('distillery.stmtCache');
type WithCache = { [CACHE]?: Map<string, Stmt> };

/** Patches libsql's Database once per process (the prototype is shared by every connection). */
export function cachePreparedStatements(proto: { prepare(sql: string): Stmt; close(): unknown } = Database.prototype as never, size = STMT_CACHE_SIZE): void {
  const p = proto as typeof proto & { __distilleryStmtCache?: boolean };
  if (p.__distilleryStmtCache) return;
  p.__distilleryStmtCache = true;
  const prepare = p.prepare;
  const close = p.close;
  p.prepare = function (this: WithCache, sql: string): Stmt {
    const cache = (this[CACHE] ??= new Map());
    const hit = cache.get(sql);
    if (hit) {
      cache.delete(sql); // re-inserted: the Map's order is the recency order
      cache.set(sql, hit);
      return hit;
    }
    const stmt = prepare.call(this, sql);
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(sql, stmt);
    return stmt;
  };
  p.close = function (this: WithCache) {
    this[CACHE]?.clear();
    return close.call(this);
  };
}

/** How many statements a connection holds (tests). */
export function cachedStatements(db: object): number {
  return (db as WithCache)[CACHE]?.size ?? 0;
}
