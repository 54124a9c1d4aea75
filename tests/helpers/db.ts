import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, tuneSqlite, type Database } from '../../lib/db/client.ts';
import { migrate } from '../../lib/db/migrate.ts';

export type Provider = 'sqlite' | 'postgres';

/** The providers integration tests run against: both, unless DISTILLERY_TEST_PROVIDERS narrows it. */
export const providers: Provider[] = (process.env.DISTILLERY_TEST_PROVIDERS || 'sqlite,postgres')
  .split(',')
  .map((p) => p.trim())
  .filter((p): p is Provider => p === 'sqlite' || p === 'postgres');

/** Admin connection used to create and drop per-test databases. */
export const pgAdminUrl = process.env.TEST_PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own: a temp SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(provider: Provider): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'distillery-test-'));
    const file = join(dir, 'test.db');
    const url = `file:${file}`;
    const database = createDatabase({ provider: 'sqlite', url, file });
    await tuneSqlite(database);
    await migrate(database);
    return {
      ...database,
      url,
      async drop() {
        await database.db.$disconnect();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `distillery_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const base = new URL(pgAdminUrl);
  base.pathname = `/${name}`;
  const url = base.toString();
  const database = createDatabase({ provider: 'postgres', url });
  await migrate(database);
  return {
    ...database,
    url,
    async drop() {
      await database.db.$disconnect();
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
