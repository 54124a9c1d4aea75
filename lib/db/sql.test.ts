import { describe, expect, it } from 'vitest';
import { dbNowPlus, durationParam, placeholders, toBool, toDate } from './sql.ts';

describe('placeholders', () => {
  it('keeps $n for PostgreSQL and numbers them explicitly for SQLite', () => {
    const sql = 'UPDATE t SET a = $2 WHERE id = $1 AND b = $12';
    expect(placeholders('postgres', sql)).toBe(sql);
    // ?NNN binds by number, so $2 appearing before $1 still gets the second argument.
    expect(placeholders('sqlite', sql)).toBe('UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?12');
  });
});

describe('durations on the database clock', () => {
  it('are seconds for PostgreSQL and a signed strftime modifier for SQLite', () => {
    expect(durationParam('postgres', 1500)).toBe(1.5);
    expect(durationParam('sqlite', 1500)).toBe('+1.500 seconds');
    expect(durationParam('sqlite', 250)).toBe('+0.250 seconds');
    expect(durationParam('sqlite', -2000)).toBe('-2.000 seconds');
    expect(() => durationParam('sqlite', Number.NaN)).toThrow(RangeError);
  });
  it('reference the parameter they are given', () => {
    expect(dbNowPlus('postgres', 3)).toContain('$3::float8');
    expect(dbNowPlus('sqlite', 3)).toContain(", 'now', $3)");
  });
});

describe('row decoding', () => {
  it('reads the text forms of DateTime as UTC, never local time', () => {
    expect(toDate('2026-11-22T00:44:53.783+00:00')!.toISOString()).toBe('2026-11-22T00:44:53.783Z');
    expect(toDate('2026-11-22 00:44:53')!.toISOString()).toBe('2026-11-22T00:44:53.000Z');
    expect(toDate('2026-11-22 00:44:53.5')!.toISOString()).toBe('2026-11-22T00:44:53.500Z');
    expect(toDate(null)).toBeNull();
    expect(toDate(1_700_000_000_000)!.getTime()).toBe(1_700_000_000_000);
    expect(() => toDate('soon')).toThrow(/not a date/);
  });
  it('reads SQLite 0/1 and PostgreSQL booleans alike', () => {
    expect([toBool(0), toBool(1), toBool(false), toBool(true), toBool('t'), toBool('0')]).toEqual([false, true, false, true, true, false]);
  });
});
