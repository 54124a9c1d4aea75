/**
 * The one SQL dialect layer. Raw SQL (the job queue's guarded UPDATEs, the annotation queue,
 * bulk inserts, the importer, the round's reads) is written once, in PostgreSQL's dialect with
 * `$1, $2, …` parameter markers, and this module hides the places where SQLite and PostgreSQL
 * differ: which database a client talks to, parameter markers, the database clock, and row
 * decoding.
 */

import type { Db } from './client.ts';
import type { DatabaseConfig } from '../config/env.ts';

export type Provider = DatabaseConfig['provider'];

/**
 * Which database a client talks to. The generated clients record their provider
 * ("sqlite" | "postgresql") on the instance, so a bare `Db` handle (or a transaction) is enough.
 */
export function providerOf(db: Db): Provider {
  const p = (db as unknown as { _activeProvider?: string })._activeProvider;
  if (p === 'sqlite') return 'sqlite';
  if (p === 'postgresql' || p === 'postgres') return 'postgres';
  throw new Error(`unsupported database provider: ${String(p)}`);
}

/**
 * Statements are written with PostgreSQL's `$1, $2` markers (and no other `?`). SQLite reads `$1` as a *named*
 * parameter whose index is its order of first appearance, which silently misbinds when `$2`
 * appears before `$1`; `?1` is SQLite's explicitly numbered form, so rewrite to that.
 */
export function placeholders(provider: Provider, sql: string): string {
  return provider === 'postgres' ? sql : sql.replace(/\$(\d+)/g, '?$1');
}

/**
 * The database clock, in the representation Prisma stores DateTime columns in.
 *
 * Leases are stamped and compared with the database's clock, never a worker's, so that workers
 * on machines whose clocks disagree still agree on when a lease has expired.
 *
 * - SQLite has no date type: the libsql adapter writes a DateTime as ISO-8601 text with an
 *   explicit offset, `2026-11-22T00:44:53.783+00:00` (Date#toISOString with Z → +00:00).
 *   Text of exactly that shape sorts chronologically, so `strftime` is told to produce the same
 *   shape and plain `<`/`<=` comparisons are correct (CURRENT_TIMESTAMP's `2026-11-22 00:44:53`
 *   would not be: ' ' sorts before 'T').
 * - PostgreSQL: Prisma's DateTime is `timestamp(3)` *without* time zone holding UTC wall time,
 *   so the comparable clock is `now() AT TIME ZONE 'UTC'`, not `now()` (which would be shifted by
 *   the server's TimeZone setting).
 */
export function dbNow(provider: Provider): string {
  return provider === 'postgres' ? `(now() AT TIME ZONE 'UTC')` : `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')`;
}

/** The database clock plus a duration held in parameter `$n`; pass `durationParam(ms)` as that parameter. */
export function dbNowPlus(provider: Provider, n: number): string {
  return provider === 'postgres'
    ? `((now() AT TIME ZONE 'UTC') + make_interval(secs => $${n}::float8))`
    : `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', $${n})`;
}

/** The value for the parameter of `dbNowPlus`: seconds for PostgreSQL, an SQLite date modifier. */
export function durationParam(provider: Provider, ms: number): number | string {
  if (!Number.isFinite(ms)) throw new RangeError(`duration must be finite, got ${ms}`);
  const seconds = Math.round(ms) / 1000;
  if (provider === 'postgres') return seconds;
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(3)} seconds`;
}

/** A DateTime read through raw SQL: adapters usually hand back a Date, but be exact with text too. */
export function toDate(value: unknown): Date | null {
  if (value == null) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const s = String(value);
  // Text without an offset is UTC (CURRENT_TIMESTAMP, PostgreSQL timestamp): never local time.
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(s);
  const d = new Date(hasZone ? s : `${s.replace(' ', 'T')}Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${s}`);
  return d;
}

/** SQLite stores booleans as 0/1; PostgreSQL returns true/false. */
export function toBool(value: unknown): boolean {
  if (typeof value === 'string') return value === '1' || value === 'true' || value === 't';
  return Boolean(Number(value));
}

export function toInt(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${String(value)}`);
  return n;
}

export function toText(value: unknown): string | null {
  return value == null ? null : String(value);
}
