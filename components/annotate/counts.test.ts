import { describe, expect, it } from 'vitest';
import { CountsTracker } from './counts';

const c = (n: number) => ({ session: n, today: n + 10, total: n + 100 });

describe('CountsTracker', () => {
  it('shows nothing until the server counted, then its counts plus the answers made here', () => {
    const t = new CountsTracker();
    expect(t.view()).toBeNull();
    expect(t.accept(c(3), t.begin(true))).toBe(true);
    t.local(1);
    t.local(1);
    t.local(-1);
    expect(t.view()).toEqual(c(4));
  });

  it('takes a fetched count only when no local change happened while it was in flight', () => {
    const t = new CountsTracker();
    t.accept(c(3), t.begin(true));
    const ticket = t.begin(true);
    t.local(1); // answered while the count was on its way: it may or may not include this answer
    expect(t.accept(c(3), ticket)).toBe(false);
    expect(t.view()).toEqual(c(4));
    // The next count, started after the answer was acknowledged, replaces the local tally.
    expect(t.accept(c(4), t.begin(true))).toBe(true);
    expect(t.view()).toEqual(c(4));
  });

  it('ignores a count that started while answers were still waiting to be sent (they are not in it)', () => {
    const t = new CountsTracker();
    t.accept(c(0), t.begin(true));
    t.local(1);
    expect(t.accept(c(0), t.begin(false))).toBe(false);
    expect(t.view()).toEqual(c(1));
  });

  it('never shows a negative count', () => {
    const t = new CountsTracker();
    t.accept({ session: 0, today: 0, total: 0 }, t.begin(true));
    t.local(-1);
    expect(t.view()).toEqual({ session: 0, today: 0, total: 0 });
  });
});
