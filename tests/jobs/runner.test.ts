/**
 * The worker loop in-process, on both databases: outcomes, progress, cancel, shutdown, lease
 * loss, and reclaiming a dead worker's job.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { providers, withFreshDatabase, type TestDatabase } from '../helpers/db.ts';
import { cancel, claim, enqueue, getJob, isFinal, parseJson, type Job } from '../../lib/jobs/queue.ts';
import { badRequest } from '../../lib/errors.ts';
import { runWorker, sleep, type RunWorkerOptions, type WorkerSummary } from '../../lib/jobs/runner.ts';
import { JobCancelledError, LeaseLostError, WorkerStoppingError } from '../../lib/jobs/errors.ts';
import { jobHandler, type JobHandler } from '../../lib/jobs/handler.ts';
import { z } from 'zod';
import { diagnosticSleep } from '../../lib/jobs/diagnostic.ts';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** diagnostic.sleep that remembers why its signal was aborted (`reason`, once it stops). */
function recordingSleep() {
  const seen: { reason?: unknown; handler: JobHandler } = {
    handler: async (job, ctx) =>
      diagnosticSleep(job, ctx).catch((e: unknown) => {
        seen.reason = ctx.signal.reason;
        throw e;
      }),
  };
  return seen;
}

describe.each(providers)('worker runner on %s', (provider) => {
  let t: TestDatabase;
  let lines: string[];
  withFreshDatabase(provider, (db) => (t = db));
  beforeEach(async () => {
    await t.db.job.deleteMany();
    lines = [];
  });

  /** Starts a worker with fast timings; stop() aborts it and returns its summary. */
  function start(handlers: Record<string, JobHandler>, extra: Partial<RunWorkerOptions> = {}) {
    const controller = new AbortController();
    const done = runWorker({
      database: t,
      workerId: extra.workerId ?? 'test-worker',
      handlers,
      pollMs: 20,
      leaseMs: 1_000,
      heartbeatMs: 100,
      retryBaseMs: 50,
      abortGraceMs: 2_000,
      signal: controller.signal,
      log: (l) => lines.push(l),
      ...extra,
    });
    return {
      done,
      async stop(): Promise<WorkerSummary> {
        controller.abort();
        return done;
      },
    };
  }
  const finished = (id: number) => waitFor(`job ${id} to finish`, async () => {
    const j = await getJob(t.db, id);
    return j && isFinal(j.status) ? j : null;
  });

  it('runs a handler with its parsed payload, records progress and result', async () => {
    const seen: unknown[] = [];
    const w = start({
      'test.count': async (job, ctx) => {
        seen.push(job.payload);
        for (let i = 1; i <= 3; i++) {
          await sleep(120);
          await ctx.heartbeat({ done: i, of: 3 });
        }
        return { total: (job.payload as { n: number }).n * 2 };
      },
    });
    const { id } = await enqueue(t.db, { type: 'test.count', payload: { n: 21 } });
    const job = await finished(id);
    const summary = await w.stop();
    expect(seen).toEqual([{ n: 21 }]);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: 'test-worker' });
    expect(parseJson(job.result)).toEqual({ total: 42 });
    expect(parseJson(job.progress)).toEqual({ done: 3, of: 3 });
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1, failed: 0 });
    expect(lines.some((l) => l.includes(`job ${id}`) && l.includes('succeeded'))).toBe(true);
  });

  it('retries a failing handler with backoff, then marks the job failed with its error', async () => {
    let calls = 0;
    const w = start({
      'test.flaky': async () => {
        calls++;
        throw new Error(`teacher file missing (call ${calls})`);
      },
    });
    const { id } = await enqueue(t.db, { type: 'test.flaky', maxAttempts: 3 });
    const job = await finished(id);
    const summary = await w.stop();
    expect(calls).toBe(3);
    expect(job).toMatchObject({ status: 'failed', attempts: 3, error: 'teacher file missing (call 3)' });
    expect(summary).toMatchObject({ retried: 2, failed: 1 });
  });

  it('does not retry a handler that rejects its input (4xx DomainError)', async () => {
    let calls = 0;
    const w = start({
      'test.strict': async () => {
        calls++;
        throw badRequest('phase 9 does not exist');
      },
    });
    const { id } = await enqueue(t.db, { type: 'test.strict', maxAttempts: 3 });
    const job = await finished(id);
    await w.stop();
    expect(calls).toBe(1);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: 'phase 9 does not exist' });
  });

  it('fails a job whose payload does not match its type\'s schema at once, naming the field', async () => {
    let calls = 0;
    const w = start({ 'test.typed': jobHandler(z.object({ roundId: z.number().int() }), async () => calls++) });
    const { id } = await enqueue(t.db, { type: 'test.typed', payload: { roundId: 'seven' }, maxAttempts: 3 });
    const job = await finished(id);
    await w.stop();
    expect(calls).toBe(0);
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    expect(job.error).toMatch(new RegExp(`^job ${id} \\(test.typed\\) payload.roundId: `));
  });

  it('cancels a running job: the handler sees the signal and the job ends cancelled', async () => {
    const sleeper = recordingSleep();
    const w = start({ 'diagnostic.sleep': sleeper.handler });
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 20_000, steps: 200 } });
    await waitFor('the job to run', async () => (await getJob(t.db, id))?.status === 'running');
    const asked = Date.now();
    expect(await cancel(t.db, id)).toMatchObject({ status: 'running', cancelRequested: true });
    const job = await finished(id);
    const summary = await w.stop();
    expect(job.status).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(1_500); // next heartbeat (100 ms) + a step (100 ms)
    expect(sleeper.reason).toBeInstanceOf(JobCancelledError);
    expect(summary).toMatchObject({ cancelled: 1, failed: 0, retried: 0 });
  });

  it('on stop, hands a running job back to the queue without charging the attempt', async () => {
    const sleeper = recordingSleep();
    const w = start({ 'diagnostic.sleep': sleeper.handler });
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 20_000, steps: 200 } });
    await waitFor('the job to run', async () => (await getJob(t.db, id))?.status === 'running');
    const summary = await w.stop();
    expect(sleeper.reason).toBeInstanceOf(WorkerStoppingError);
    expect(summary).toMatchObject({ claimed: 1, released: 1 });
    expect(await getJob(t.db, id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
  });

  it('on stop, lets a handler that ignores the signal finish, and records its success', async () => {
    const w = start({
      'test.short': async () => {
        await sleep(300);
        return 'done';
      },
    });
    const { id } = await enqueue(t.db, { type: 'test.short' });
    await waitFor('the job to run', async () => (await getJob(t.db, id))?.status === 'running');
    const summary = await w.stop();
    expect(summary.succeeded).toBe(1);
    expect(await getJob(t.db, id)).toMatchObject({ status: 'succeeded', result: '"done"' });
  });

  it('stops working on a job whose lease another worker now holds, and leaves it to them', async () => {
    const sleeper = recordingSleep();
    const w = start({ 'diagnostic.sleep': sleeper.handler });
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 20_000, steps: 200 } });
    await waitFor('the job to run', async () => (await getJob(t.db, id))?.status === 'running');
    // What the reaper plus another worker's claim amount to, seen from this worker.
    await t.db.job.update({ where: { id }, data: { leaseOwner: 'other-worker', attempts: 2 } });
    await waitFor('the handler to stop', async () => sleeper.reason);
    const summary = await w.stop();
    expect(sleeper.reason).toBeInstanceOf(LeaseLostError);
    expect(summary).toMatchObject({ lost: 1, succeeded: 0, failed: 0 });
    expect(await getJob(t.db, id)).toMatchObject({ status: 'running', leaseOwner: 'other-worker', attempts: 2 });
  });

  it('gives up on a handler that ignores cancel after the grace period and moves on', async () => {
    const w = start(
      {
        'test.stubborn': async () => new Promise(() => {}), // never settles, never heartbeats
        'test.short': async () => 'next',
      },
      { abortGraceMs: 200 },
    );
    const stuck = await enqueue(t.db, { type: 'test.stubborn', priority: 1 });
    const next = await enqueue(t.db, { type: 'test.short' });
    await waitFor('the stubborn job to run', async () => (await getJob(t.db, stuck.id))?.status === 'running');
    await cancel(t.db, stuck.id);
    expect((await finished(stuck.id)).status).toBe('cancelled');
    expect((await finished(next.id)).status).toBe('succeeded');
    await w.stop();
    expect(lines.some((l) => l.includes('did not stop within 200 ms'))).toBe(true);
  });

  it('only claims the job types it has handlers for', async () => {
    const w = start({ 'test.short': async () => 'ok' });
    const other = await enqueue(t.db, { type: 'round' });
    const mine = await enqueue(t.db, { type: 'test.short' });
    await finished(mine.id);
    await w.stop();
    expect((await getJob(t.db, other.id))!.status).toBe('queued');
  });

  it('reaps a dead worker’s expired lease and runs the job to success (attempts = 2)', async () => {
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 50, steps: 1 } });
    const dead: Job = (await claim(t, { workerId: 'dead-worker', leaseMs: 300 }))!;
    expect(dead.attempts).toBe(1);
    const w = start({ 'diagnostic.sleep': diagnosticSleep }, { reapEveryMs: 100 });
    const job = await finished(id);
    const summary = await w.stop();
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, leaseOwner: 'test-worker' });
    expect(job.error).toMatch(/dead-worker/);
    expect(summary).toMatchObject({ reaped: 1, succeeded: 1 });
  });
  it('keeps reaping dead workers’ leases while it is busy with a long job', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = start({ 'test.long': async () => gate }, { reapEveryMs: 100 });
    const long = await enqueue(t.db, { type: 'test.long' });
    await waitFor('the long job to run', async () => (await getJob(t.db, long.id))?.status === 'running');
    // Another worker held a job of a type this one does not run, and died.
    const orphan = await enqueue(t.db, { type: 'round' });
    await claim(t, { workerId: 'dead-worker', types: ['round'], leaseMs: 200 });
    const requeued = await waitFor('the orphan to be requeued', async () => {
      const j = await getJob(t.db, orphan.id);
      return j?.status === 'queued' ? j : null;
    });
    expect(requeued.error).toMatch(/dead-worker/);
    expect((await getJob(t.db, long.id))!.status).toBe('running');
    release();
    await finished(long.id);
    expect((await w.stop()).reaped).toBe(1);
  });
});
