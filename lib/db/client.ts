import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts';
import { PrismaClient as PostgresClient } from './generated/postgres/client.ts';
import { databaseConfig, type DatabaseConfig } from '../config/env.ts';
import { busyWaitMs, retryingSqliteAdapter, SQLITE_BUSY_TIMEOUT_MS } from './busy.ts';
import { cachePreparedStatements } from './stmt-cache.ts';

/**
 * The one database handle type. Both generated clients come from the same schema (only the
 * provider differs), so the PostgreSQL client is used through the SQLite client's types.
 */
export type Db = SqliteClient;
export type { Prisma } from './generated/sqlite/client.ts';

export interface Database {
  db: Db;
  config: DatabaseConfig;
}

/** `log`: Prisma's log option (tests count the statements a call sends with `{ emit: 'event', level: 'query' }`). */
export function createDatabase(config: DatabaseConfig = databaseConfig(), opts: { busyWaitMs?: number; log?: { emit: 'event' | 'stdout'; level: 'query' | 'info' | 'warn' | 'error' }[] } = {}): Database {
  if (config.provider === 'sqlite') {
    mkdirSync(dirname(config.file), { recursive: true });
    cachePreparedStatements();
    // timeout = busy_timeout on every connection the adapter opens (it opens a new one after an
    // interactive transaction). It is kept to a few ms because libsql waits on the event loop;
    // longer waits are asynchronous retries (lib/db/busy.ts), bounded by busyWaitMs.
    const adapter = retryingSqliteAdapter(new PrismaLibSql({ url: config.url, timeout: SQLITE_BUSY_TIMEOUT_MS }), opts.busyWaitMs ?? busyWaitMs());
    return { db: new SqliteClient({ adapter, ...(opts.log ? { log: opts.log } : {}) }), config };
  }
  const adapter = new PrismaPg({ connectionString: config.url, max: Number(process.env.DATABASE_POOL_SIZE || 10) });
  return { db: new PostgresClient({ adapter, ...(opts.log ? { log: opts.log } : {}) }) as unknown as Db, config };
}

/** SQLite settings for one file shared by the console and worker processes. */
export async function tuneSqlite(database: Database): Promise<void> {
  if (database.config.provider !== 'sqlite') return;
  await database.db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await database.db.$queryRawUnsafe(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  await database.db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await database.db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
}

const globalForDb = globalThis as unknown as { __distilleryDb?: Promise<Database> };

/** The process-wide database, migrated on first use. */
export function getDatabase(): Promise<Database> {
  if (!globalForDb.__distilleryDb) {
    globalForDb.__distilleryDb = (async () => {
      const database = createDatabase();
      await tuneSqlite(database);
      const { migrate } = await import('./migrate.ts');
      await migrate(database);
      return database;
    })();
    globalForDb.__distilleryDb.catch(() => {
      globalForDb.__distilleryDb = undefined;
    });
  }
  return globalForDb.__distilleryDb;
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}
