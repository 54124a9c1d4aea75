import { describe, expect, it } from 'vitest';
import { parseTimeKey } from './time.ts';

const ok = (raw: string | number) => {
  const r = parseTimeKey(raw);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const reason = (raw: string | number) => {
  const r = parseTimeKey(raw);
  return r.ok ? null : r.reason;
};

describe('parseTimeKey', () => {
  it('reads ISO dates and date-times as epoch ms, zone-less as UTC', () => {
    expect(ok('2024-05-01')).toBe(Date.UTC(2024, 4, 1));
    expect(ok('2024-05-01T10:00:00Z')).toBe(Date.UTC(2024, 4, 1, 10));
    expect(ok('2024-05-01T10:00:00.123Z')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(ok('2024-05-01T10:00:00')).toBe(Date.UTC(2024, 4, 1, 10));
    expect(ok('2024-05-01 10:00')).toBe(Date.UTC(2024, 4, 1, 10));
    expect(ok('2024-05-01T10:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 8));
    expect(ok('2024-05-01T10:00:00-0530')).toBe(Date.UTC(2024, 4, 1, 15, 30));
    expect(ok('2024-05-01T10:00:00.5+08')).toBe(Date.UTC(2024, 4, 1, 2, 0, 0, 500));
    expect(ok('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(ok('0050-01-01')).toBe(new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(50));
  });
  it('agrees with Date.parse on the common forms', () => {
    for (const s of ['2023-12-31T23:59:59Z', '2024-01-01T00:00:00.000Z', '1999-06-15T12:34:56.789Z', '2024-05-01T10:00:00+02:00']) {
      expect(ok(s)).toBe(Date.parse(s));
    }
  });
  it('keeps numbers as given', () => {
    expect(ok('1714557600')).toBe(1714557600);
    expect(ok(' 12.5 ')).toBe(12.5);
    expect(ok(-3)).toBe(-3);
    expect(ok('1e3')).toBe(1000);
  });
  it('rejects what is not a time, saying why', () => {
    expect(reason('yesterday')).toMatch(/^invalid time "yesterday": expected an ISO-8601 date/);
    expect(reason('2024-13-01')).toBe('invalid time "2024-13-01": month 13 does not exist');
    expect(reason('2023-02-29')).toBe('invalid time "2023-02-29": day 29 does not exist in 2023-02');
    expect(reason('2024-04-31T00:00:00Z')).toBe('invalid time "2024-04-31T00:00:00Z": day 31 does not exist in 2024-04');
    expect(reason('2024-05-01T24:00:00Z')).toMatch(/out of range/);
    expect(reason('2024-5-1')).toMatch(/expected an ISO-8601/);
    expect(reason(NaN)).toBe('invalid time NaN: not a finite number');
  });
});
