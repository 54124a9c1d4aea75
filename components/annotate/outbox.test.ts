import { describe, expect, it } from 'vitest';
import type { QueueItem } from './types';
import { Outbox, type OutboxOp, type OutboxOptions, type Timers } from './outbox';

/** A real in-memory implementation of the Web Storage interface (what localStorage is). */
class MemoryStorage implements Storage {
  private data = new Map<string, string>();
  get length() {
    return this.data.size;
  }
  clear() {
    this.data.clear();
  }
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  key(i: number) {
    return [...this.data.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
  setItem(key: string, value: string) {
    this.data.set(key, String(value));
  }
}

/** The far side of the network: every request waits until the test answers it. */
class Server {
  received: string[] = [];
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  inFlightMax = 0;
  send = (op: OutboxOp) => {
    this.received.push(op.clientId);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.inFlightMax = Math.max(this.inFlightMax, this.waiting.length);
    });
  };
  get open() {
    return this.waiting.length;
  }
  async ack() {
    this.waiting.shift()!.resolve();
    await settle();
  }
  async fail(error: unknown) {
    this.waiting.shift()!.reject(error);
    await settle();
  }
}

/** Timers the test fires by hand: nothing here waits on the clock. */
class ManualTimers implements Timers {
  scheduled: { run: () => void; ms: number; cleared: boolean }[] = [];
  set(run: () => void, ms: number) {
    const t = { run, ms, cleared: false };
    this.scheduled.push(t);
    return t;
  }
  clear(handle: unknown) {
    (handle as { cleared: boolean }).cleared = true;
  }
  async fireLast() {
    const t = this.scheduled[this.scheduled.length - 1];
    expect(t.cleared).toBe(false);
    t.run();
    await settle();
  }
}

class Rejected extends Error {}

const settle = () => new Promise<void>((r) => setImmediate(r));
const KEY = 'distillery:annotate:outbox:1:2';
const item = (itemId: number): QueueItem => ({ itemId, text: `text ${itemId}`, leaseExpiresAt: '2026-01-01T00:00:00.000Z', teacher: null, student: null, score: null });
const answer = (clientId: string, itemId: number): OutboxOp => ({ kind: 'answer', clientId, item: item(itemId), action: 'label', label: 'spam', shown: { teacher: null, student: null, studentModelId: null } });
const stored = (storage: Storage) => (JSON.parse(storage.getItem(KEY) ?? '[]') as OutboxOp[]).map((o) => o.clientId);

function setup(storage: Storage = new MemoryStorage(), extra: Partial<OutboxOptions> = {}) {
  const server = new Server();
  const timers = new ManualTimers();
  const rejected: string[] = [];
  let drained = 0;
  const outbox = new Outbox({
    storage,
    key: KEY,
    send: server.send,
    isPermanent: (e) => e instanceof Rejected,
    onRejected: (op) => rejected.push(op.clientId),
    onDrained: () => drained++,
    timers,
    ...extra,
  });
  return { outbox, server, timers, storage, rejected, drained: () => drained };
}

describe('Outbox', () => {
  it('sends answers in the order given, one at a time, and forgets each once acknowledged', async () => {
    const { outbox, server, storage, drained } = setup();
    void outbox.push(answer('a', 1));
    void outbox.push(answer('b', 2));
    void outbox.push(answer('c', 3));
    expect(stored(storage)).toEqual(['a', 'b', 'c']);
    expect(server.received).toEqual(['a']);

    await server.ack();
    expect(stored(storage)).toEqual(['b', 'c']);
    expect(outbox.ops.map((o) => o.clientId)).toEqual(['b', 'c']);
    await server.ack();
    await server.ack();
    expect(server.received).toEqual(['a', 'b', 'c']);
    expect(server.inFlightMax).toBe(1);
    expect(outbox.size).toBe(0);
    expect(stored(storage)).toEqual([]);
    expect(drained()).toBe(1);
  });

  it('keeps a failed answer first and retries it with a doubling wait until it is acknowledged', async () => {
    const { outbox, server, timers, storage } = setup(new MemoryStorage(), { maxBackoffMs: 4000 });
    void outbox.push(answer('a', 1));
    void outbox.push(answer('b', 2));
    const offline = new TypeError('fetch failed');
    await server.fail(offline);
    expect(outbox.retrying).toBe(true);
    expect(outbox.lastError).toBe(offline);
    expect(outbox.sending).toBe(false);
    expect(stored(storage)).toEqual(['a', 'b']);
    // A push while a retry is scheduled waits for it instead of jumping the queue.
    void outbox.push(answer('c', 3));
    expect(server.open).toBe(0);

    for (const wait of [1000, 2000, 4000]) {
      expect(timers.scheduled.at(-1)!.ms).toBe(wait);
      await timers.fireLast();
      await server.fail(offline);
    }
    expect(timers.scheduled.at(-1)!.ms).toBe(4000); // capped
    await timers.fireLast();
    expect(server.received).toEqual(['a', 'a', 'a', 'a', 'a']);
    await server.ack();
    expect(outbox.lastError).toBeNull();
    expect(outbox.retrying).toBe(false);
    await server.ack();
    await server.ack();
    expect(server.received).toEqual(['a', 'a', 'a', 'a', 'a', 'b', 'c']);
    expect(stored(storage)).toEqual([]);
  });

  it('retryNow sends at once and starts the backoff over', async () => {
    const { outbox, server, timers } = setup();
    void outbox.push(answer('a', 1));
    await server.fail(new TypeError('offline'));
    await timers.fireLast();
    await server.fail(new TypeError('offline'));
    expect(timers.scheduled.at(-1)!.ms).toBe(2000);
    void outbox.retryNow();
    expect(timers.scheduled.at(-1)!.cleared).toBe(true);
    expect(server.received).toEqual(['a', 'a', 'a']);
    await server.fail(new TypeError('offline'));
    expect(timers.scheduled.at(-1)!.ms).toBe(1000);
  });

  it('a new instance over the same storage (a reload) re-sends what was pending, in order', async () => {
    const storage = new MemoryStorage();
    const before = setup(storage);
    void before.outbox.push(answer('a', 1));
    void before.outbox.push(answer('b', 2));
    await before.server.ack();
    void before.outbox.push(answer('c', 3));
    before.outbox.dispose(); // the page goes away with b in flight

    const after = setup(storage);
    expect(after.outbox.answers().map((o) => o.item.itemId)).toEqual([2, 3]);
    void after.outbox.flush();
    await after.server.ack();
    await after.server.ack();
    expect(after.server.received).toEqual(['b', 'c']);
    expect(stored(storage)).toEqual([]);

    // The old page's send of b is acknowledged late: it no longer writes the storage it gave up.
    void after.outbox.push(answer('d', 4));
    await before.server.ack();
    expect(stored(storage)).toEqual(['d']);
    expect(before.server.received).toEqual(['a', 'b']);
  });

  it('undo of an answer not yet sent drops it; undo of one sent or in flight queues an undo after it', async () => {
    const { outbox, server, storage } = setup();
    void outbox.push(answer('a', 1)); // in flight
    void outbox.push(answer('b', 2)); // pending
    void outbox.undo({ clientId: 'b', itemId: 2 }, 'undo-b');
    expect(stored(storage)).toEqual(['a']);
    void outbox.undo({ clientId: 'a', itemId: 1 }, 'undo-a');
    expect(stored(storage)).toEqual(['a', 'undo-a']);
    await server.ack();
    await server.ack();
    expect(server.received).toEqual(['a', 'undo-a']);
    expect(outbox.size).toBe(0);

    // An answer acknowledged long ago is undone on the server too.
    void outbox.undo({ clientId: 'a', itemId: 1 }, 'undo-a2');
    expect(outbox.ops).toEqual([{ kind: 'undo', clientId: 'undo-a2', itemId: 1, answerClientId: 'a' }]);
  });

  it('a change of an answer not yet sent rewrites it; of one sent or in flight queues a change after it; an undo drops changes never sent', async () => {
    const { outbox, server, storage } = setup();
    void outbox.push(answer('a', 1)); // in flight
    void outbox.push(answer('b', 2)); // waiting
    expect(outbox.change({ clientId: 'b', itemId: 2 }, { action: 'flag', label: null, note: 'for the lead' }, 0, 'ch-b')).toBe('rewritten');
    expect(outbox.ops[1]).toMatchObject({ kind: 'answer', clientId: 'b', action: 'flag', label: null, note: 'for the lead' });
    expect((JSON.parse(storage.getItem(KEY)!) as OutboxOp[])[1]).toMatchObject({ action: 'flag', note: 'for the lead' }); // survives a reload
    expect(outbox.change({ clientId: 'a', itemId: 1 }, { action: 'label', label: 'ham' }, 0, 'ch-a')).toBe('queued');
    expect(stored(storage)).toEqual(['a', 'b', 'ch-a']);
    expect(outbox.ops[2]).toEqual({ kind: 'change', clientId: 'ch-a', answerClientId: 'a', itemId: 1, revision: 0, action: 'label', label: 'ham' });
    // Taking a back before ch-a went out: ch-a is dropped, an undo of a goes out after b.
    void outbox.undo({ clientId: 'a', itemId: 1 }, 'undo-a');
    expect(stored(storage)).toEqual(['a', 'b', 'undo-a']);
    await server.ack();
    await server.ack();
    await server.ack();
    expect(server.received).toEqual(['a', 'b', 'undo-a']);
  });

  it('a rejected answer takes the changes queued behind it along', async () => {
    const { outbox, server, rejected, storage } = setup();
    void outbox.push(answer('a', 1));
    outbox.change({ clientId: 'a', itemId: 1 }, { action: 'skip', label: null }, 0, 'ch-a');
    void outbox.push(answer('b', 2));
    await server.fail(new Rejected('lease expired'));
    expect(rejected).toEqual(['a']);
    expect(stored(storage)).toEqual(['b']);
  });

  it('a rejected answer is dropped with the undo queued behind it, and the rest still goes out', async () => {
    const { outbox, server, rejected, storage } = setup();
    void outbox.push(answer('a', 1));
    void outbox.push(answer('b', 2));
    void outbox.undo({ clientId: 'a', itemId: 1 }, 'undo-a'); // a is in flight: queued
    await server.fail(new Rejected('lease expired'));
    expect(rejected).toEqual(['a']);
    expect(stored(storage)).toEqual(['b']);
    await server.ack();
    expect(server.received).toEqual(['a', 'b']);
    expect(outbox.size).toBe(0);
  });

  it('works without storage, and ignores what it cannot parse', async () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, '{not json');
    expect(setup(storage).outbox.size).toBe(0);
    const { outbox, server } = setup(undefined, { storage: null });
    void outbox.push(answer('a', 1));
    await server.ack();
    expect(server.received).toEqual(['a']);
  });
});
