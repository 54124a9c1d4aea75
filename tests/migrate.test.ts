/**
 * Upgrading a database that holds data: every migration after the first is applied to a
 * database filled under the first one, and nothing is lost. (SQLite migrations that redefine a
 * table drop the old one; with foreign keys on, that would cascade-delete the rows that refer
 * to it — items, teacher outputs, labels.)
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { migrate, readMigrations } from '../lib/db/migrate.ts';
import { importFile } from '../lib/import/importer.ts';
import { placeholders } from '../lib/db/sql.ts';

const root = resolve(import.meta.dirname, '..');

/** A copy of the repository's migrations holding only the first one. */
function firstMigrationOnly(provider: 'sqlite' | 'postgres'): string {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-migrations-'));
  const src = join(root, 'prisma', provider, 'migrations');
  const first = readdirSync(src).filter((n) => /^\d/.test(n)).sort()[0];
  cpSync(join(src, first), join(dir, 'prisma', provider, 'migrations', first), { recursive: true });
  return dir;
}

describe.each(providers)('migrations on %s', (provider) => {
  let t: TestDatabase | undefined;
  afterAll(async () => {
    await t?.drop();
    delete process.env.DISTILLERY_ROOT;
  });

  it('upgrade a database with data from the first migration to the latest without losing a row', async () => {
    const later = readMigrations(provider).slice(1);
    expect(later.length, 'there is a migration after the first').toBeGreaterThan(0);
    process.env.DISTILLERY_ROOT = firstMigrationOnly(provider);
    t = await freshDatabase(provider);
    // Rows written with the first migration's columns (today's client knows newer ones).
    const sql = (q: string) => placeholders(provider, q);
    await t.db.$executeRawUnsafe(sql(`INSERT INTO "Task" ("slug", "name", "description") VALUES ($1, $2, '')`), 'm', 'M');
    const [{ id: taskId }] = await t.db.$queryRawUnsafe<{ id: number }[]>(`SELECT "id" FROM "Task"`);
    await t.db.$executeRawUnsafe(sql(`INSERT INTO "Phase" ("taskId", "key", "name", "position", "labels") VALUES ($1, 'a', 'A', 0, '["x","y"]')`), taskId);
    const [phase] = await t.db.$queryRawUnsafe<{ id: number }[]>(`SELECT "id" FROM "Phase" WHERE "key" = 'a'`);
    await t.db.$executeRawUnsafe(sql(`INSERT INTO "Phase" ("taskId", "key", "name", "position", "labels", "dependsOnPhaseId", "dependsOnLabel") VALUES ($1, 'b', 'B', 1, '["p","q"]', $2, 'y')`), taskId, phase.id);
    const rows = Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `item number ${i} says hello`, label: i % 2 ? 'y' : 'x', teachers: { t: [0.3, 0.7] } })).join('\n');
    await importFile(t.db, { phaseId: Number(phase.id), format: 'jsonl', stream: async function* () { yield rows; } });
    const before = { items: await t.db.item.count(), predictions: await t.db.teacherPrediction.count(), phases: await t.db.phase.count() };
    expect(before).toEqual({ items: 300, predictions: 300, phases: 2 });

    delete process.env.DISTILLERY_ROOT;
    const applied = await migrate(t);
    expect(applied).toEqual(later.map((m) => m.name));
    expect({ items: await t.db.item.count(), predictions: await t.db.teacherPrediction.count(), phases: await t.db.phase.count() }).toEqual(before);
    const b = await t.db.phase.findFirstOrThrow({ where: { key: 'b' } });
    expect(b.dependsOnPhaseId).toBe(Number(phase.id));
    if (provider === 'sqlite') expect((await t.db.$queryRawUnsafe<{ foreign_keys: number }[]>('PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);
  });
});
