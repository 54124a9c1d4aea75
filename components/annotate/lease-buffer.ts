/**
 * The items this annotator holds leases on, in the order they are shown: topped up from the
 * server before it runs dry, so the next item is there the moment the current one is answered.
 */
import type { QueueItem } from './types';

/** Fetch more items when fewer than this many are left. */
const LOW_WATER = 3;
const BATCH = 10;
/** After a fetch brought nothing new (or failed), wait this long before asking again. */
const EXHAUSTED_WAIT_MS = 10_000;

export class LeaseBuffer {
  private items: QueueItem[] = [];
  private exhaustedAt = 0;
  fetching = false;
  /**
   * The last fetch brought nothing new: the page keeps showing why the queue is empty while it asks
   * again, instead of a loading state (swapping the two remounted the empty state, whose first look
   * asked again at once: a fetch loop that made the page flicker between them).
   */
  drained = false;

  get current(): QueueItem | undefined {
    return this.items[0];
  }

  get size(): number {
    return this.items.length;
  }

  ids(): number[] {
    return this.items.map((it) => it.itemId);
  }

  /** How many items to ask for: the server hands our own unexpired leases back first, so ask for enough to get new ones too. */
  fetchLimit(unacknowledgedAnswers: number): number {
    return Math.min(this.items.length + unacknowledgedAnswers + BATCH, 100);
  }

  /** Appends fetched items that are neither buffered nor in `answered`; returns those added. */
  add(fetched: readonly QueueItem[], answered: ReadonlySet<number>, now: number): QueueItem[] {
    const have = new Set(this.ids());
    const fresh = fetched.filter((it) => !answered.has(it.itemId) && !have.has(it.itemId));
    this.items.push(...fresh);
    this.exhaustedAt = fresh.length === 0 ? now : 0;
    this.drained = fresh.length === 0;
    return fresh;
  }

  /** Ask again at once, not after the wait (the queue may have been rebuilt, or a lease ended). */
  retryNow(): void {
    this.exhaustedAt = 0;
  }

  fetchFailed(now: number): void {
    this.exhaustedAt = now;
  }

  /** Removes and returns the current item (it was answered). */
  take(): QueueItem | undefined {
    return this.items.shift();
  }

  /** Shows an item again first (its answer was undone). */
  putFirst(item: QueueItem): void {
    this.items = [item, ...this.items.filter((it) => it.itemId !== item.itemId)];
  }

  /** Milliseconds until the next fetch should start, or null while enough items are buffered. */
  refillIn(now: number): number | null {
    if (this.items.length >= LOW_WATER) return null;
    return this.exhaustedAt ? Math.max(0, this.exhaustedAt + EXHAUSTED_WAIT_MS - now) : 0;
  }
}
