/**
 * The job state machine on both databases: every transition, its guards (a worker without the
 * lease changes nothing), and time comparisons against the database clock.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, providers, withFreshDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  cancel,
  claim,
  complete,
  enqueue,
  fail,
  getJob,
  heartbeat,
  listJobs,
  parseJson,
  reapExpired,
  release,
} from '../../lib/jobs/queue.ts';
import { DomainError } from '../../lib/errors.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(providers)('job queue on %s', (provider) => {
  let t: TestDatabase;
  withFreshDatabase(provider, (db) => (t = db));
  beforeEach(async () => {
    await t.db.job.deleteMany();
  });

  it('enqueues with defaults and parses back the payload', async () => {
    const job = await enqueue(t.db, { type: 'round', payload: { roundId: 4, arch: 'textcnn' } });
    expect(job).toMatchObject({ type: 'round', status: 'queued', priority: 0, attempts: 0, maxAttempts: 3, cancelRequested: false });
    expect(parseJson(job.payload)).toEqual({ roundId: 4, arch: 'textcnn' });
    await expect(enqueue(t.db, { type: ' ' })).rejects.toThrow(DomainError);
    await expect(enqueue(t.db, { type: 'x', maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
  });

  it('deduplicates by key while the job is active, and frees the key when it ends', async () => {
    const a = await enqueue(t.db, { type: 'round', payload: { n: 1 }, dedupeKey: 'round:phase-1' });
    const [b, c] = await Promise.all([
      enqueue(t.db, { type: 'round', payload: { n: 2 }, dedupeKey: 'round:phase-1' }),
      enqueue(t.db, { type: 'round', payload: { n: 3 }, dedupeKey: 'round:phase-1' }),
    ]);
    expect([b.id, c.id]).toEqual([a.id, a.id]);
    expect(await t.db.job.count()).toBe(1);
    const running = await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect((await enqueue(t.db, { type: 'round', dedupeKey: 'round:phase-1' })).id).toBe(a.id);
    await complete(t, running!.id, 'w1', { ok: true });
    const next = await enqueue(t.db, { type: 'round', dedupeKey: 'round:phase-1' });
    expect(next.id).not.toBe(a.id);
    expect((await getJob(t.db, a.id))!.dedupeKey).toBeNull();
  });

  it('claims by priority, then runAfter, then age; skips future and unhandled jobs', async () => {
    const low = await enqueue(t.db, { type: 'import', priority: 0 });
    const high = await enqueue(t.db, { type: 'import', priority: 5 });
    const later = await enqueue(t.db, { type: 'import', priority: 9, runAfter: new Date(Date.now() + 60_000) });
    const other = await enqueue(t.db, { type: 'round', priority: 9 });
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      const job = await claim(t, { workerId: 'w1', types: ['import'], leaseMs: 5_000 });
      if (job) got.push(job.id);
    }
    expect(got).toEqual([high.id, low.id]);
    expect((await getJob(t.db, later.id))!.status).toBe('queued');
    expect((await getJob(t.db, other.id))!.status).toBe('queued');
    expect((await claim(t, { workerId: 'w1', leaseMs: 5_000 }))!.id).toBe(other.id); // no type filter
  });

  it('leases a claimed job with the database clock', async () => {
    const queued = await enqueue(t.db, { type: 'round' });
    const before = Date.now();
    const job = (await claim(t, { workerId: 'w1', leaseMs: 30_000 }))!;
    expect(job).toMatchObject({ id: queued.id, status: 'running', attempts: 1, leaseOwner: 'w1' });
    // Same machine, so the database clock and ours agree to well within a second.
    expect(Math.abs(job.leaseExpiresAt!.getTime() - (before + 30_000))).toBeLessThan(1_000);
    expect(job.startedAt!.getTime()).toBeLessThanOrEqual(job.leaseExpiresAt!.getTime());
    expect(await getJob(t.db, job.id)).toEqual(job); // the raw row decodes exactly as Prisma reads it
  });

  it('holds runAfter until the database clock passes it (times written by Prisma and by SQL compare alike)', async () => {
    const job = await enqueue(t.db, { type: 'round', runAfter: new Date(Date.now() + 400) });
    expect(await claim(t, { workerId: 'w1', leaseMs: 5_000 })).toBeNull();
    await wait(500);
    expect((await claim(t, { workerId: 'w1', leaseMs: 5_000 }))!.id).toBe(job.id);
    // fail() writes runAfter with the database clock; claim compares with it.
    await fail(t, job.id, 'w1', new Error('flaky'), { retryDelayMs: 400 });
    expect(await claim(t, { workerId: 'w1', leaseMs: 5_000 })).toBeNull();
    await wait(500);
    expect((await claim(t, { workerId: 'w1', leaseMs: 5_000 }))!.attempts).toBe(2);
  });

  it('heartbeats extend only the holder’s lease, record progress, and report cancel', async () => {
    const { id } = await enqueue(t.db, { type: 'round' });
    const job = (await claim(t, { workerId: 'w1', leaseMs: 1_000 }))!;
    await wait(20);
    expect(await heartbeat(t, id, 'w1', 60_000, { epoch: 2, loss: 0.41 })).toEqual({ held: true, cancelRequested: false });
    const after = (await getJob(t.db, id))!;
    expect(after.leaseExpiresAt!.getTime()).toBeGreaterThan(job.leaseExpiresAt!.getTime() + 50_000);
    expect(parseJson(after.progress)).toEqual({ epoch: 2, loss: 0.41 });
    expect(await heartbeat(t, id, 'w1', 60_000)).toMatchObject({ held: true }); // no progress: kept
    expect(parseJson((await getJob(t.db, id))!.progress)).toEqual({ epoch: 2, loss: 0.41 });
    expect(await heartbeat(t, id, 'intruder', 60_000, { evil: true })).toEqual({ held: false, cancelRequested: false });
    await cancel(t.db, id);
    expect(await heartbeat(t, id, 'w1', 60_000)).toEqual({ held: true, cancelRequested: true });
  });

  it('completes once, only for the lease holder', async () => {
    const { id } = await enqueue(t.db, { type: 'round', dedupeKey: 'k' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect(await complete(t, id, 'w2', { by: 'w2' })).toBeNull();
    const done = (await complete(t, id, 'w1', { f1: 0.88 }))!;
    expect(done).toMatchObject({ status: 'succeeded', leaseOwner: 'w1', leaseExpiresAt: null, dedupeKey: null });
    expect(parseJson(done.result)).toEqual({ f1: 0.88 });
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect(await complete(t, id, 'w1', { again: true })).toBeNull();
    expect(parseJson((await getJob(t.db, id))!.result)).toEqual({ f1: 0.88 });
  });

  it('retries a failure with backoff until attempts are used up, then fails', async () => {
    const { id } = await enqueue(t.db, { type: 'import', maxAttempts: 2, dedupeKey: 'import:1' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect(await fail(t, id, 'w2', new Error('not yours'))).toBeNull();
    const before = Date.now();
    const retry = (await fail(t, id, 'w1', new Error('disk full')))!;
    expect(retry).toMatchObject({ status: 'queued', attempts: 1, error: 'disk full', leaseOwner: null, finishedAt: null, dedupeKey: 'import:1' });
    // First retry waits 5 s (retryDelayMs(1)), on the database clock.
    expect(Math.abs(retry.runAfter.getTime() - (before + 5_000))).toBeLessThan(1_000);
    await t.db.job.update({ where: { id }, data: { runAfter: new Date(Date.now() - 1) } });
    await claim(t, { workerId: 'w2', leaseMs: 5_000 });
    const dead = (await fail(t, id, 'w2', 'still full'))!;
    expect(dead).toMatchObject({ status: 'failed', attempts: 2, error: 'still full', dedupeKey: null });
    expect(dead.finishedAt).toBeInstanceOf(Date);
  });

  it('fails permanently without retry when told the input is wrong', async () => {
    const { id } = await enqueue(t.db, { type: 'import' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect(await fail(t, id, 'w1', new Error('line 3: no text column'), { permanent: true })).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('cancels a queued job at once; it is never claimed', async () => {
    const { id } = await enqueue(t.db, { type: 'round', dedupeKey: 'k' });
    const c = await cancel(t.db, id);
    expect(c).toMatchObject({ status: 'cancelled', dedupeKey: null });
    expect(c.finishedAt).toBeInstanceOf(Date);
    expect(await claim(t, { workerId: 'w1', leaseMs: 5_000 })).toBeNull();
    expect(await cancel(t.db, id)).toMatchObject({ status: 'cancelled' }); // idempotent
    await expect(cancel(t.db, 999_999)).rejects.toMatchObject({ status: 404 });
  });

  it('cancels a running job through its worker: flagged, then cancelled when the worker reports', async () => {
    const { id } = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect(await cancel(t.db, id)).toMatchObject({ status: 'running', cancelRequested: true });
    // The worker sees the flag on its heartbeat, stops, and reports through fail(): no retry.
    const end = (await fail(t, id, 'w1', new Error('stopped on request')))!;
    expect(end).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(await cancel(t.db, id)).toMatchObject({ status: 'cancelled' });
  });

  it('leaves finished jobs alone on cancel', async () => {
    const { id } = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    await complete(t, id, 'w1', 1);
    expect(await cancel(t.db, id)).toMatchObject({ status: 'succeeded', cancelRequested: false });
  });

  it('reaps expired leases: back to queued with the attempt counted, the stale worker locked out', async () => {
    const { id } = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'dead-worker', leaseMs: 200 });
    const fresh = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'live-worker', leaseMs: 60_000 });
    expect(await reapExpired(t)).toEqual([]);
    await wait(300);
    expect(await reapExpired(t)).toEqual([{ id, status: 'queued', previousOwner: 'dead-worker' }]);
    expect(await reapExpired(t)).toEqual([]); // once
    expect((await getJob(t.db, fresh.id))!.status).toBe('running'); // unexpired lease untouched
    const reaped = (await getJob(t.db, id))!;
    expect(reaped).toMatchObject({ status: 'queued', attempts: 1, leaseOwner: null, leaseExpiresAt: null });
    expect(reaped.error).toMatch(/lease of worker dead-worker expired during attempt 1/);

    const again = (await claim(t, { workerId: 'w2', leaseMs: 5_000 }))!;
    expect(again).toMatchObject({ id, attempts: 2, leaseOwner: 'w2' });
    // The first worker wakes up: it can neither heartbeat, nor complete, nor fail the job.
    expect((await heartbeat(t, id, 'dead-worker', 5_000)).held).toBe(false);
    expect(await complete(t, id, 'dead-worker', { stale: true })).toBeNull();
    expect(await fail(t, id, 'dead-worker', 'stale')).toBeNull();
    expect(await release(t, id, 'dead-worker')).toBeNull();
    expect(await complete(t, id, 'w2', { ok: 1 })).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('reaps to failed when attempts are used up, and to cancelled when a cancel was pending', async () => {
    const a = await enqueue(t.db, { type: 'round', maxAttempts: 1 });
    await claim(t, { workerId: 'w1', leaseMs: 60_000 });
    const b = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'w1', leaseMs: 60_000 });
    await cancel(t.db, b.id);
    // A lease written by Prisma (app clock) in the past is expired on the database clock too.
    await t.db.job.updateMany({ data: { leaseExpiresAt: new Date(Date.now() - 1_000) } });
    const reaped = await reapExpired(t);
    expect(reaped.sort((x, y) => x.id - y.id)).toEqual([
      { id: a.id, status: 'failed', previousOwner: 'w1' },
      { id: b.id, status: 'cancelled', previousOwner: 'w1' },
    ]);
    expect((await getJob(t.db, a.id))!.finishedAt).toBeInstanceOf(Date);
  });

  it('releases a job of a stopping worker without charging an attempt', async () => {
    const { id } = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'w1', leaseMs: 5_000 });
    expect(await release(t, id, 'w1')).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
    expect((await claim(t, { workerId: 'w2', leaseMs: 5_000 }))!.attempts).toBe(1);
  });

  it('lists newest first with status/type filters and keyset paging', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await enqueue(t.db, { type: i % 2 ? 'round' : 'import' })).id);
    await cancel(t.db, ids[0]);
    expect((await listJobs(t.db)).map((j) => j.id)).toEqual([...ids].reverse());
    expect((await listJobs(t.db, { type: 'round' })).map((j) => j.id)).toEqual([ids[3], ids[1]]);
    expect((await listJobs(t.db, { status: ['cancelled'] })).map((j) => j.id)).toEqual([ids[0]]);
    expect((await listJobs(t.db, { limit: 2, beforeId: ids[3] })).map((j) => j.id)).toEqual([ids[2], ids[1]]);
  });
});

describe.skipIf(!providers.includes('postgres'))('job queue on postgres with a non-UTC server time zone', () => {
  it('stamps and compares leases in UTC, as Prisma stores DateTime', async () => {
    const base = await freshDatabase('postgres');
    const name = new URL(base.url).pathname.slice(1);
    await base.db.$executeRawUnsafe(`ALTER DATABASE "${name}" SET timezone = 'Asia/Shanghai'`);
    // New connections pick the setting up: a bare now()::timestamp would read 8 hours ahead.
    const { createDatabase } = await import('../../lib/db/client.ts');
    const shanghai = createDatabase({ provider: 'postgres', url: base.url });
    try {
      const [{ tz }] = await shanghai.db.$queryRawUnsafe<{ tz: string }[]>("SELECT current_setting('TimeZone') AS tz");
      expect(tz).toBe('Asia/Shanghai');
      await enqueue(shanghai.db, { type: 'round', runAfter: new Date(Date.now() + 60 * 60_000) });
      expect(await claim(shanghai, { workerId: 'w1', leaseMs: 30_000 })).toBeNull();
      const { id } = await enqueue(shanghai.db, { type: 'round' });
      const before = Date.now();
      const job = (await claim(shanghai, { workerId: 'w1', leaseMs: 30_000 }))!;
      expect(job.id).toBe(id);
      expect(Math.abs(job.leaseExpiresAt!.getTime() - (before + 30_000))).toBeLessThan(1_000);
      expect(await reapExpired(shanghai)).toEqual([]);
    } finally {
      await shanghai.db.$disconnect();
      await base.drop();
    }
  });
});
