/**
 * Crash safety with real worker processes (`npm run worker`'s entry, workers/main.ts): a worker
 * SIGKILLed mid-job leaves a lease that expires; a second worker reaps it, takes the job over and
 * completes it — succeeded exactly once, attempts = 2. Then SIGTERM: the second worker hands its
 * running job back to the queue and exits cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from '../helpers/db.ts';
import { startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/worker.ts';
import { enqueue, getJob, parseJson } from '../../lib/jobs/queue.ts';

const LEASE_MS = 1_500;

const startWorker = (url: string, workerId: string): WorkerProcess =>
  startWorkerProcess({ DATABASE_URL: url, WORKER_ID: workerId, WORKER_LEASE_MS: String(LEASE_MS), WORKER_POLL_MS: '100' });

describe.each(providers)('worker crash recovery on %s', (provider) => {
  let t: TestDatabase;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    t = await freshDatabase(provider);
  });
  afterAll(async () => {
    for (const w of workers) w.kill();
    await t?.drop();
  });

  it('reclaims the job of a SIGKILLed worker after its lease expires and completes it exactly once', async () => {
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 2_000, steps: 20 } });
    const a = startWorker(t.url, 'worker-A');
    workers.push(a);
    const output = () => workers.flatMap((w, i) => w.lines.map((l) => `[${i}] ${l}`));

    // Kill A mid-job, once it has heartbeated progress a few times.
    await waitFor('worker A to be mid-job', async () => {
      const j = await getJob(t.db, id);
      const step = parseJson<{ step: number }>(j?.progress ?? null)?.step ?? 0;
      return j?.status === 'running' && j.leaseOwner === 'worker-A' && step >= 3;
    }, output, 20_000, 50);
    a.kill();
    await a.exited;
    const orphan = (await getJob(t.db, id))!;
    expect(orphan).toMatchObject({ status: 'running', leaseOwner: 'worker-A', attempts: 1 });
    expect(orphan.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() - LEASE_MS); // still leased

    const b = startWorker(t.url, 'worker-B');
    workers.push(b);
    const done = await waitFor('the job to finish', async () => {
      const j = await getJob(t.db, id);
      return j && j.status !== 'running' && j.status !== 'queued' ? j : null;
    }, output, 20_000, 50);

    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, leaseOwner: 'worker-B' });
    expect(parseJson<{ workerId: string }>(done.result)!.workerId).toBe('worker-B');
    expect(done.error).toMatch(/lease of worker worker-A expired during attempt 1/);
    // B could only take the job after A's lease ran out.
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(orphan.leaseExpiresAt!.getTime());
    expect(a.lines.filter((l) => l.includes(`job ${id} `) && l.includes('started'))).toHaveLength(1);
    expect(a.lines.some((l) => l.includes('succeeded'))).toBe(false);
    expect(b.lines.filter((l) => l.includes(`lease of worker-A expired → queued`))).toHaveLength(1);
    expect(b.lines.filter((l) => l.includes(`job ${id} `) && l.includes('succeeded'))).toHaveLength(1);
    expect(b.lines.some((l) => l.includes(`job ${id} `) && l.includes('progress {"step":1,"steps":20}'))).toBe(true);
  });

  it('on SIGTERM, the standalone worker returns its running job to the queue and exits 0', async () => {
    const b = workers[1];
    const { id } = await enqueue(t.db, { type: 'diagnostic.sleep', payload: { ms: 30_000, steps: 300 } });
    await waitFor('worker B to run the job', async () => (await getJob(t.db, id))?.leaseOwner === 'worker-B', () => b.lines);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(await getJob(t.db, id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
    expect(b.lines.some((l) => l.includes(`job ${id} `) && l.includes('returned to the queue'))).toBe(true);
  });
});
