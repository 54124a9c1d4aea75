/**
 * No job is handed out twice: 8 claimers race over 200 jobs, as separate Prisma clients in one
 * process and as separate OS processes, on both databases.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, withFreshDatabase, type Provider, type TestDatabase } from '../helpers/db.ts';
import { createDatabase, tuneSqlite, type Database } from '../../lib/db/client.ts';
import { claim, complete, parseJson } from '../../lib/jobs/queue.ts';

const JOBS = 200;
const CLAIMERS = 8;
const root = resolve(import.meta.dirname, '../..');

interface ClaimerReport {
  claimer: string;
  ids: number[];
  startedAt: number;
  lastAt: number;
}

async function seed(t: TestDatabase): Promise<number[]> {
  // Mixed priorities so claimers contend for the head of a changing order, not just the id.
  // One insert for all of them: enqueue() itself is covered in queue.test.ts.
  await t.db.job.createMany({ data: Array.from({ length: JOBS }, (_, i) => ({ type: 'test.unit', payload: JSON.stringify({ i }), priority: i % 3 })) });
  return (await t.db.job.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((j) => j.id);
}

/** Every job claimed exactly once, the database agrees on who completed it, and the claimers really raced. */
async function expectEachJobOnce(t: TestDatabase, enqueued: number[], reports: ClaimerReport[]) {
  const all = reports.flatMap((r) => r.ids);
  expect(all.length).toBe(JOBS);
  expect(new Set(all).size).toBe(JOBS);
  expect([...all].sort((a, b) => a - b)).toEqual(enqueued);
  const owner = new Map(reports.flatMap((r) => r.ids.map((id) => [id, r.claimer] as const)));
  for (const j of await t.db.job.findMany()) {
    expect(j).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: owner.get(j.id) });
    expect(parseJson<{ by: string }>(j.result)!.by).toBe(owner.get(j.id));
  }
  const busy = reports.filter((r) => r.ids.length > 0);
  expect(busy.length).toBeGreaterThanOrEqual(2);
  const overlapping = busy.some((a) => busy.some((b) => a !== b && a.startedAt < b.lastAt && b.startedAt < a.lastAt));
  expect(overlapping).toBe(true);
}

function open(provider: Provider, url: string): Database {
  return provider === 'sqlite' ? createDatabase({ provider, url, file: url.slice('file:'.length) }) : createDatabase({ provider, url });
}

describe.each(providers)('concurrent claims on %s', (provider) => {
  let t: TestDatabase;
  withFreshDatabase(provider, (db) => (t = db));

  it(`hands out no job twice to ${CLAIMERS} clients in one process`, async () => {
    const enqueued = await seed(t);
    const clients = Array.from({ length: CLAIMERS }, () => open(provider, t.url));
    try {
      await Promise.all(clients.map((c) => tuneSqlite(c)));
      const reports = await Promise.all(
        clients.map(async (database, k): Promise<ClaimerReport> => {
          const me = `client-${k}`;
          const ids: number[] = [];
          const startedAt = Date.now();
          let lastAt = startedAt;
          for (;;) {
            const job = await claim(database, { workerId: me, leaseMs: 60_000 });
            if (!job) break;
            ids.push(job.id);
            lastAt = Date.now();
            expect(await complete(database, job.id, me, { by: me })).not.toBeNull();
          }
          return { claimer: me, ids, startedAt, lastAt };
        }),
      );
      await expectEachJobOnce(t, enqueued, reports);
    } finally {
      await Promise.all(clients.map((c) => c.db.$disconnect()));
    }
  });
});

/** One claimer process (tests/jobs/claim-process.ts) driven line by line over stdio. */
class Claimer {
  readonly child: ChildProcessWithoutNullStreams;
  private waiting: ((line: string) => void)[] = [];
  private stderr = '';
  readonly ready: Promise<string>;
  constructor(readonly id: string) {
    this.child = spawn(resolve(root, 'node_modules/.bin/tsx'), [resolve(root, 'tests/jobs/claim-process.ts')], {
      cwd: root,
      env: { ...process.env, CLAIMER_ID: id },
    });
    this.child.stderr.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.ready = this.next();
  }
  private next(): Promise<string> {
    return new Promise((resolveLine, reject) => {
      this.waiting.push(resolveLine);
      this.child.once('exit', (code) => reject(new Error(`claimer ${this.id} exited ${code}: ${this.stderr}`)));
    });
  }
  send(line: string): Promise<string> {
    const reply = this.next();
    this.child.stdin.write(`${line}\n`);
    return reply;
  }
}

describe(`concurrent claims from ${CLAIMERS} OS processes (node_modules/.bin/tsx)`, () => {
  let claimers: Claimer[] = [];
  beforeAll(async () => {
    claimers = Array.from({ length: CLAIMERS }, (_, k) => new Claimer(`process-${k}`));
    const started = Date.now();
    await Promise.all(claimers.map((c) => c.ready));
    console.log(`${CLAIMERS} claimer processes started in ${Date.now() - started} ms`);
  });
  afterAll(async () => {
    await Promise.all(
      claimers.map((c) => (c.child.exitCode === null ? new Promise((r) => (c.child.on('exit', r), c.child.stdin.end())) : null)),
    );
  });

  it.each(providers)('hands out no job twice on %s', async (provider) => {
    const t = await freshDatabase(provider);
    try {
      const enqueued = await seed(t);
      await Promise.all(claimers.map((c) => c.send(`open ${JSON.stringify({ provider, url: t.url })}`)));
      const go = Date.now();
      // All connected: start the race on every process at once.
      const reports = (await Promise.all(claimers.map((c) => c.send('go')))).map((l) => JSON.parse(l) as ClaimerReport);
      console.log(`${provider}: ${JOBS} jobs claimed by ${CLAIMERS} processes in ${Date.now() - go} ms; per process: ${reports.map((r) => r.ids.length).join(' ')}`);
      await expectEachJobOnce(t, enqueued, reports);
    } finally {
      await t.drop();
    }
  });
});
