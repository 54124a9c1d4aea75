import { describe, expect, it } from 'vitest';
import { currentSession, localDayStart, SESSION_GAP_MS } from './progress.ts';

const MIN = 60_000;

describe('currentSession', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0);
  it('counts back from now while no pause exceeds the gap', () => {
    const times = [now - 1 * MIN, now - 5 * MIN, now - 20 * MIN, now - 49 * MIN, now - 90 * MIN, now - 91 * MIN];
    expect(currentSession(times, now)).toEqual({ count: 4, startedAt: now - 49 * MIN });
  });
  it('is empty when the last answer is older than the gap, and ignores the input order', () => {
    expect(currentSession([now - 31 * MIN, now - 32 * MIN], now)).toEqual({ count: 0, startedAt: null });
    expect(currentSession([now - 3 * MIN, now - 1 * MIN, now - 2 * MIN], now)).toEqual({ count: 3, startedAt: now - 3 * MIN });
    expect(currentSession([], now)).toEqual({ count: 0, startedAt: null });
  });
  it('a pause of exactly the gap keeps the session going', () => {
    expect(currentSession([now - SESSION_GAP_MS, now - 2 * SESSION_GAP_MS], now).count).toBe(2);
  });
});

describe('localDayStart', () => {
  it('is UTC midnight without an offset', () => {
    expect(localDayStart(new Date('2026-01-10T12:34:00Z')).toISOString()).toBe('2026-01-10T00:00:00.000Z');
  });
  it('is the local midnight east of UTC (offset −480 = UTC+8), which can be the previous UTC day', () => {
    expect(localDayStart(new Date('2026-01-10T12:34:00Z'), -480).toISOString()).toBe('2026-01-09T16:00:00.000Z');
    expect(localDayStart(new Date('2026-01-10T17:00:00Z'), -480).toISOString()).toBe('2026-01-10T16:00:00.000Z');
  });
  it('is the local midnight west of UTC (offset 300 = UTC−5)', () => {
    expect(localDayStart(new Date('2026-01-10T03:00:00Z'), 300).toISOString()).toBe('2026-01-09T05:00:00.000Z');
  });
});
