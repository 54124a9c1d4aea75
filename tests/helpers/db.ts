import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
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
  const { database, url, cleanUp } = provider === 'sqlite' ? await sqliteDatabase() : await postgresDatabase();
  await migrate(database);
  return {
    ...database,
    url,
    async drop() {
      await database.db.$disconnect();
      await cleanUp();
    },
  };
}

type Created = { database: Database; url: string; cleanUp: () => Promise<void> };

async function sqliteDatabase(): Promise<Created> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-test-'));
  const file = join(dir, 'test.db');
  const url = `file:${file}`;
  const database = createDatabase({ provider: 'sqlite', url, file });
  await tuneSqlite(database);
  return { database, url, cleanUp: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresDatabase(): Promise<Created> {
  const name = `distillery_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const base = new URL(pgAdminUrl);
  base.pathname = `/${name}`;
  const url = base.toString();
  return { database: createDatabase({ provider: 'postgres', url }), url, cleanUp: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * The usual lifecycle in a describe block: a fresh database before its tests, dropped after.
 * `use` receives it (assign it to the block's variable).
 */
export function withFreshDatabase(provider: Provider, use: (t: TestDatabase) => void): void {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await freshDatabase(provider);
    use(t);
  });
  afterAll(async () => {
    await t?.drop();
  });
}
