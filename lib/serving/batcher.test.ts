import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './batcher.ts';
import { Limiter } from './limiter.ts';

/** A two-class "model" whose output encodes the text (its length) so routing mistakes show. */
function model(calls: string[][], gate?: Promise<void>) {
  return async (texts: string[]) => {
    calls.push(texts);
    if (gate) await gate;
    const out = new Float32Array(texts.length * 2);
    texts.forEach((t, i) => {
      out[2 * i] = t.length;
      out[2 * i + 1] = -t.length;
    });
    return out;
  };
}

describe('MicroBatcher', () => {
  it('merges concurrent requests into one call and hands each its own rows', async () => {
    const calls: string[][] = [];
    const b = new MicroBatcher(model(calls), 2, { maxBatch: 64, maxWaitMs: 5, limiter: new Limiter(1), maxQueue: 1000 });
    const [a, c] = await Promise.all([b.submit(['x', 'yy']), b.submit(['zzz'])]);
    expect(calls).toEqual([['x', 'yy', 'zzz']]);
    expect(Array.from(a)).toEqual([1, -1, 2, -2]);
    expect(Array.from(c)).toEqual([3, -3]);
  });

  it('never exceeds maxBatch when merging, and runs a full batch without waiting', async () => {
    const calls: string[][] = [];
    const b = new MicroBatcher(model(calls), 2, { maxBatch: 3, maxWaitMs: 60_000, limiter: new Limiter(1), maxQueue: 1000 });
    const out = await Promise.all([b.submit(['a', 'b']), b.submit(['c']), b.submit(['d', 'e']), b.submit(['f'])]);
    expect(calls.map((c) => c.length).every((n) => n <= 3)).toBe(true);
    expect(calls.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(out.map((o) => o.length)).toEqual([4, 2, 4, 2]);
  });

  it('takes the high lane first when requests wait for the only slot', async () => {
    const calls: string[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const limiter = new Limiter(1);
    const b = new MicroBatcher(model(calls, gate), 2, { maxBatch: 1, maxWaitMs: 0, limiter, maxQueue: 1000 });
    const first = b.submit(['busy']);
    await new Promise((r) => setImmediate(r));
    const rest = [b.submit(['low1'], 'low'), b.submit(['norm'], 'normal'), b.submit(['high'], 'high')];
    open();
    await Promise.all([first, ...rest]);
    expect(calls.map((c) => c[0])).toEqual(['busy', 'high', 'norm', 'low1']);
  });

  it('refuses work beyond maxQueue with a 503 instead of queueing without bound', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const b = new MicroBatcher(model([], gate), 2, { maxBatch: 2, maxWaitMs: 0, limiter: new Limiter(1), maxQueue: 3 });
    const running = b.submit(['a', 'b']);
    await new Promise((r) => setImmediate(r));
    const queued = b.submit(['c', 'd', 'e']);
    await expect(b.submit(['f'])).rejects.toMatchObject({ status: 503, code: 'overloaded' });
    open();
    await Promise.all([running, queued]);
    await b.idle();
    expect(b.busy).toBe(false);
  });

  it('rejects every request of a batch whose inference failed, and keeps serving', async () => {
    let fail = true;
    const b = new MicroBatcher(async (t) => {
      if (fail) throw new Error('boom');
      return new Float32Array(t.length * 2);
    }, 2, { maxBatch: 8, maxWaitMs: 1, limiter: new Limiter(1), maxQueue: 100 });
    await expect(Promise.all([b.submit(['a']), b.submit(['b'])])).rejects.toThrow('boom');
    fail = false;
    expect((await b.submit(['c'])).length).toBe(2);
  });
});
