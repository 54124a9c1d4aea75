import { describe, expect, it } from 'vitest';
import type { QueueItem } from './types';
import { LeaseBuffer } from './lease-buffer';

const item = (itemId: number): QueueItem => ({ itemId, text: `text ${itemId}`, leaseExpiresAt: '2026-01-01T00:00:00.000Z', teacher: null, student: null, score: null });
const items = (...ids: number[]) => ids.map(item);

describe('LeaseBuffer', () => {
  it('adds only items neither buffered nor answered, in the order fetched', () => {
    const b = new LeaseBuffer();
    expect(b.add(items(1, 2, 3), new Set(), 0).map((i) => i.itemId)).toEqual([1, 2, 3]);
    // The server hands our own leases back first: those, and items answered but not yet acknowledged, are skipped.
    expect(b.add(items(1, 2, 3, 4, 5), new Set([5]), 0).map((i) => i.itemId)).toEqual([4]);
    expect(b.ids()).toEqual([1, 2, 3, 4]);
  });

  it('take() moves on; putFirst() shows an undone item again without duplicating it', () => {
    const b = new LeaseBuffer();
    b.add(items(1, 2, 3), new Set(), 0);
    expect(b.take()!.itemId).toBe(1);
    expect(b.current!.itemId).toBe(2);
    b.putFirst(item(1));
    expect(b.ids()).toEqual([1, 2, 3]);
    b.putFirst(item(3));
    expect(b.ids()).toEqual([3, 1, 2]);
  });

  it('asks for enough items to get new ones past its own leases and pending answers, at most 100', () => {
    const b = new LeaseBuffer();
    expect(b.fetchLimit(0)).toBe(10);
    b.add(items(1, 2), new Set(), 0);
    expect(b.fetchLimit(3)).toBe(15);
    expect(b.fetchLimit(500)).toBe(100);
  });

  it('refills below three items at once, and waits 10 s after a fetch that brought nothing or failed', () => {
    const b = new LeaseBuffer();
    expect(b.refillIn(1000)).toBe(0);
    b.add(items(1, 2, 3), new Set(), 1000);
    expect(b.refillIn(1000)).toBeNull();
    b.take();
    expect(b.refillIn(1000)).toBe(0);
    b.add(items(2, 3), new Set(), 5000); // nothing new
    expect(b.refillIn(5000)).toBe(10_000);
    expect(b.refillIn(12_000)).toBe(3000);
    expect(b.refillIn(20_000)).toBe(0);
    b.add(items(4), new Set(), 20_000);
    expect(b.refillIn(20_000)).toBeNull();
    b.take();
    b.take();
    b.fetchFailed(30_000);
    expect(b.refillIn(31_000)).toBe(9000);
  });

  it('is drained after a fetch that brought nothing new, until one brings items, whatever retryNow says', () => {
    const b = new LeaseBuffer();
    expect(b.drained).toBe(false); // before the first answer the page shows "loading"
    b.add(items(1), new Set(), 1000);
    expect(b.drained).toBe(false);
    b.take();
    b.add(items(1), new Set([1]), 2000); // only what was answered: nothing new
    expect(b.drained).toBe(true);
    b.retryNow(); // asking again keeps the empty state on screen
    expect(b.drained).toBe(true);
    expect(b.refillIn(2000)).toBe(0);
    b.add(items(2), new Set([1]), 3000);
    expect(b.drained).toBe(false);
  });
});
