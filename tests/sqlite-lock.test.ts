/**
 * Another connection holds SQLite's write lock (`BEGIN IMMEDIATE`, as the sqlite3 shell, a backup
 * or the CLI would): the console keeps serving. A request that needs no write completes, timers
 * keep firing while a write waits (the wait is asynchronous, not SQLite's busy handler sleeping on
 * the event loop), and the write gets 503 + Retry-After after its bounded wait instead of a 500.
 * Once the lock is released, writes go through again. (How fast the reads are is measured by
 * `npm run bench -- load`, not here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { createClient, type Client, type Transaction } from '@libsql/client';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createDatabase, tuneSqlite, type Database } from '../lib/db/client.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';

const call = async (handler: (req: NextRequest, ctx: { params: Promise<any> }) => Promise<Response>, url: string, token: string, init: { body?: unknown; params?: Record<string, string> } = {}) => {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

describe.skipIf(!providers.includes('sqlite'))('an external SQLite write lock', () => {
  let t: TestDatabase;
  let console_: Database;
  let holder: Client;
  let token: string;
  let phaseId: number;

  beforeAll(async () => {
    t = await freshDatabase('sqlite');
    const u = await createUser(t.db, { email: 'lead@lock.dev', name: 'lead', role: 'lead', password: 'lead-password' });
    token = (await createApiToken(t.db, u.id, 'test')).token;
    const task = await createTask(t.db, { slug: 'lock', name: 'lock', phases: [{ key: 'p', name: 'P', labels: ['a', 'b'] }] });
    phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    // The console's own client, with a short bounded wait so the test does not sit out the default.
    console_ = createDatabase(t.config, { busyWaitMs: 600 });
    await tuneSqlite(console_);
    process.env.DATABASE_URL = t.url;
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve(console_);
    holder = createClient({ url: t.url });
  });
  afterAll(async () => {
    holder?.close();
    await console_?.db.$disconnect();
    await t?.drop();
  });

  it('serves reads, keeps the event loop free, and answers a write with 503 + Retry-After', async () => {
    const phase = await import('../app/api/phases/[id]/route.ts');
    const tokens = await import('../app/api/tokens/route.ts');
    // Warm up (first statement of each kind, lastUsedAt written) before the lock.
    expect((await call(phase.GET, '/x', token, { params: { id: String(phaseId) } })).status).toBe(200);
    let tx: Transaction | null = await holder.transaction('write'); // BEGIN IMMEDIATE
    try {
      await tx.execute(`UPDATE "Task" SET "name" = 'locked' WHERE "slug" = 'lock'`);

      const read = await call(phase.GET, '/x', token, { params: { id: String(phaseId) } });
      expect(read.status).toBe(200);
      expect(read.body.phase.id).toBe(phaseId);

      const order: string[] = [];
      const write = call(tokens.POST, '/api/tokens', token, { body: { name: 'during-lock' } }).then((r) => {
        order.push('write');
        return r;
      });
      await new Promise((r) => setTimeout(r, 20)).then(() => order.push('timer'));
      const res = await write;
      expect(order).toEqual(['timer', 'write']);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('busy');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      // A change that runs an interactive transaction (task creation) waits for the lock the same way.
      const tasks = await import('../app/api/tasks/route.ts');
      const spec = { slug: 'during-lock', name: 'during', phases: [{ key: 'p', name: 'P', labels: ['a', 'b'] }] };
      const inTx = await call(tasks.POST, '/api/tasks', token, { body: spec });
      expect(inTx.status).toBe(503);
      await tx.rollback();
      tx = null;
      // …and goes through once the lock is gone, committed (a statement retried inside a
      // transaction would leave its COMMIT failing).
      const created = await call(tasks.POST, '/api/tasks', token, { body: spec });
      expect(created.status).toBe(201);
      const after = await call(tokens.POST, '/api/tokens', token, { body: { name: 'after-lock' } });
      expect(after.status).toBe(201);
      // Committed: another connection sees it (libsql once left such writes uncommitted after a busy error).
      const other = createClient({ url: t.url });
      try {
        expect((await other.execute(`SELECT "name" FROM "ApiToken" WHERE "name" IN ('during-lock', 'after-lock')`)).rows.map((r) => r.name)).toEqual(['after-lock']);
        expect((await other.execute(`SELECT "slug" FROM "Task" WHERE "slug" = 'during-lock'`)).rows).toHaveLength(1);
      } finally {
        other.close();
      }
    } finally {
      if (tx) await tx.rollback().catch(() => {});
    }
  });
});
