/**
 * What a queue call costs the database, counted: the console spends its CPU per request mostly
 * on statements (each one a round trip through Prisma and the driver), so the number a submit and
 * a next batch send is held here. Also: the phase's label rule is cached, its overlap never is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createDatabase, tuneSqlite, type Db } from '../lib/db/client.ts';
import { createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { nextItems, submit } from '../lib/queue/annotate.ts';
import { queueState } from '../lib/queue/open-count.ts';
import { updateQueueSettings } from '../lib/queue/settings.ts';
import { writeSyntheticImport } from '../bench/synthetic-import.ts';

for (const provider of providers) {
  describe(`queue statements (${provider})`, () => {
    let t: TestDatabase;
    let db: Db; // a second client on the same database, logging every statement
    const seen: string[] = [];
    let phaseId: number;
    const users: number[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'distillery-qs-'));

    beforeAll(async () => {
      t = await freshDatabase(provider);
      for (let i = 0; i < 2; i++) users.push((await createUser(t.db, { email: `q${i}@x.dev`, name: `q${i}`, role: 'annotator', password: 'annotator-pass' })).id);
      const task = await createTask(t.db, { slug: 'qs', name: 'qs', phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], overlap: 1, relabelTrusted: true, auditShare: 0 }] });
      phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
      writeSyntheticImport(join(dir, 'i.csv'), { rows: 200, seed: 3 });
      await importFile(t.db, { phaseId, path: join(dir, 'i.csv'), format: 'csv' });
      await rebuildQueue(t.db, phaseId);
      const logged = createDatabase(provider === 'sqlite' ? { provider, url: t.url, file: t.url.replace(/^file:/, '') } : { provider, url: t.url }, { log: [{ emit: 'event', level: 'query' }] });
      await tuneSqlite(logged);
      db = logged.db;
      (db as unknown as { $on(e: 'query', f: (q: { query: string }) => void): void }).$on('query', (q) => seen.push(q.query));
    });
    afterAll(async () => {
      await db?.$disconnect();
      await t?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const counted = async <T>(fn: () => Promise<T>) => {
      seen.length = 0;
      const out = await fn();
      return { out, statements: seen.filter((q) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(q.trim())).length };
    };

    it('a label answer is six statements on SQLite and one on PostgreSQL, a batch of ten five and four', async () => {
      await submit(db, { phaseId, userId: users[0], itemId: -1, clientId: 'warm', action: 'label', label: 'safe' }).catch(() => {}); // the phase rule, cached from here on
      const batch = await counted(() => nextItems(db, { phaseId, userId: users[0], limit: 10 }));
      expect(batch.out.items).toHaveLength(10);
      expect(batch.statements).toBeGreaterThanOrEqual(4); // they are counted at all
      expect(batch.statements).toBeLessThanOrEqual(provider === 'postgres' ? 4 : 5); // PostgreSQL: the claim is one call of distillery_claim
      const first = batch.out.items[0].itemId;
      const answer = await counted(() => submit(db, { phaseId, userId: users[0], itemId: first, clientId: 'qs-1', action: 'label', label: 'safe' }));
      expect(answer.out.duplicate).toBe(false);
      // PostgreSQL: one call of the distillery_submit function, holding the phase's lock for no round trip.
      expect(answer.statements).toBe(provider === 'postgres' ? 1 : 6);
      // The retry is still recognised without a lookup before the insert.
      const retry = await submit(db, { phaseId, userId: users[0], itemId: first, clientId: 'qs-1', action: 'label', label: 'safe' });
      expect(retry).toMatchObject({ duplicate: true, annotation: { id: answer.out.annotation.id } });
      const entry = await t.db.queueEntry.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: first } } });
      expect(entry).toMatchObject({ answers: 1, done: true });
    });

    it("a lead's new overlap holds for the very next answer (only the label rule is cached)", async () => {
      const { items } = await nextItems(db, { phaseId, userId: users[1], limit: 1 });
      await updateQueueSettings(t.db, phaseId, { overlap: 2 }); // through the other client: nothing this one could have been told
      const before = (await queueState(t.db, phaseId))!.open;
      await submit(db, { phaseId, userId: users[1], itemId: items[0].itemId, clientId: 'qs-2', action: 'label', label: 'offensive' });
      const entry = await t.db.queueEntry.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: items[0].itemId } } });
      expect(entry).toMatchObject({ answers: 1, done: false }); // one answer of two: still open
      expect((await queueState(t.db, phaseId))!.open).toBe(before);
      // One label of the two needed: no human label from annotators yet.
      expect((await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId: items[0].itemId } } }))?.source).not.toBe('annotation');
      await updateQueueSettings(t.db, phaseId, { overlap: 1 });
    });

    it.runIf(provider === 'postgres')('PostgreSQL plans the submit and the claim for each call (a plan cached while the tables were small slowed every later submit)', async () => {
      const rows = await t.db.$queryRawUnsafe<{ name: string; config: string[] | null }[]>(
        `SELECT p."proname" AS name, p."proconfig" AS config FROM pg_proc p WHERE p."proname" IN ('distillery_submit', 'distillery_claim') ORDER BY p."proname"`,
      );
      expect(rows.map((r) => [r.name, r.config])).toEqual([
        ['distillery_claim', ['plan_cache_mode=force_custom_plan']],
        ['distillery_submit', ['plan_cache_mode=force_custom_plan']],
      ]);
    });

    it.runIf(provider === 'postgres')("PostgreSQL: a submit reads the item's answers by the item and commits synchronously; a claim leases in one statement and does not wait for its WAL flush", async () => {
      // The plans of the functions' statements, as auto_explain reports them to this client. The
      // tables were never analysed (as in a new phase): the submit's human-label statements used to
      // read all the phase's label answers through ("phaseId", "action", "resolution"), which cost
      // 4.4 ms of a submit's 7.3 under the load bench. 3,000 undone label answers make that visible.
      await t.db.$executeRawUnsafe(
        `INSERT INTO "Annotation" ("phaseId", "itemId", "userId", "action", "label", "clientId", "undoneAt")
         SELECT $1, i."id", $2, 'label', 'safe', 'undone-' || i."id" || '-' || g, now() FROM "Item" i CROSS JOIN generate_series(1, 15) g WHERE i."phaseId" = $1`,
        phaseId,
        users[1],
      );
      const user = (await createUser(t.db, { email: 'plans@x.dev', name: 'plans', role: 'annotator', password: 'annotator-pass' })).id;
      const client = new pg.Client({ connectionString: t.url });
      const plans: string[] = [];
      client.on('notice', (n) => plans.push(n.message ?? ''));
      await client.connect();
      try {
        await client.query(`LOAD 'auto_explain'`);
        await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = 'notice'`);
        await client.query('BEGIN');
        const claimed = await client.query(`SELECT * FROM "distillery_claim"($1, $2, 10, 600)`, [phaseId, user]);
        expect((await client.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('off');
        await client.query('COMMIT');
        const fresh = claimed.rows.filter((r) => r.fresh).map((r) => Number(r.itemId));
        expect(fresh).toHaveLength(10);
        const leaseInserts = plans.filter((p) => /INSERT INTO "AnnotationLease"/.test(p) && /Insert on "AnnotationLease"/.test(p));
        expect(leaseInserts).toHaveLength(1); // every fresh item of the batch in one statement
        plans.length = 0;
        await client.query('BEGIN');
        const answered = await client.query(`SELECT * FROM "distillery_submit"($1, $2, $3, 'label', 'safe', 'qs-plan', NULL, NULL)`, [phaseId, fresh[0], user]);
        expect(answered.rows).toHaveLength(1);
        expect((await client.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('on');
        await client.query('COMMIT');
        const nested = plans.filter((p) => /FROM "Annotation" x/.test(p) && !/^Query Text: SELECT \* FROM "distillery_submit"/.test(p));
        expect(nested.length).toBeGreaterThan(0);
        for (const p of nested) expect(p).not.toMatch(/Annotation_phaseId_action_resolution_idx/);
        expect((await t.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: fresh[0] } } })).source).toBe('annotation');
      } finally {
        await client.end();
      }
    });
  });
}
