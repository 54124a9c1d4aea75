/**
 * An annotator's progress in plain numbers, pure: what "this session" and "today" mean, so that
 * the counts come from the stored answers and survive a reload (the browser only adds what it has
 * not yet had acknowledged).
 */

/** A pause longer than this ends a working session. */
export const SESSION_GAP_MS = 30 * 60_000;

/**
 * The answers of the session still going on: answer times (ms, any order) back from `now` for
 * as long as no two consecutive ones — nor the last one and now — lie more than `gapMs` apart.
 * Returns the count and when the session began (null: no session going on).
 */
export function currentSession(times: readonly number[], now: number, gapMs = SESSION_GAP_MS): { count: number; startedAt: number | null } {
  const sorted = [...times].sort((a, b) => b - a);
  let count = 0;
  let edge = now;
  let startedAt: number | null = null;
  for (const t of sorted) {
    if (edge - t > gapMs) break;
    count++;
    startedAt = t;
    edge = t;
  }
  return { count, startedAt };
}

/**
 * The start of the annotator's local day containing `now`, as a UTC instant. `tzOffsetMinutes`
 * is what the browser's Date#getTimezoneOffset answers (UTC − local, e.g. −480 in UTC+8).
 */
export function localDayStart(now: Date, tzOffsetMinutes = 0): Date {
  const DAY = 86_400_000;
  const offset = tzOffsetMinutes * 60_000;
  const local = now.getTime() - offset;
  return new Date(Math.floor(local / DAY) * DAY + offset);
}
