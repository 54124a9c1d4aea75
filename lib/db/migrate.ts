import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from './client.ts';
import { placeholders } from './sql.ts';

/**
 * Applies the committed Prisma-format migrations (prisma/<provider>/migrations/<name>/migration.sql)
 * and records them in `_prisma_migrations` exactly as `prisma migrate deploy` would, so the
 * native Prisma CLI stays usable where it can be installed. Runs offline: no engine download.
 */
export function migrationsDir(provider: 'sqlite' | 'postgres'): string {
  const root = process.env.DISTILLERY_ROOT || process.cwd();
  return resolve(root, 'prisma', provider, 'migrations');
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(provider: 'sqlite' | 'postgres'): MigrationFile[] {
  const dir = migrationsDir(provider);
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Splits a migration script into statements (semicolons outside quotes, PostgreSQL's $tag$ dollar quotes and comments). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (quote.length > 1) {
        // Inside a dollar-quoted body (a function's): it ends at the same tag.
        if (sql.startsWith(quote, i)) {
          cur += quote;
          i += quote.length - 1;
          quote = null;
        } else cur += c;
        continue;
      }
      cur += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        quote = tag[0];
        cur += quote;
        i += quote.length - 1;
        continue;
      }
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      cur += '\n';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    if (c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const CREATE_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

export async function migrate(database: Database, log: (msg: string) => void = () => {}): Promise<string[]> {
  const { db, config } = database;
  const provider = config.provider;
  const migrations = readMigrations(provider);
  await db.$executeRawUnsafe(CREATE_TABLE[provider]);
  const applied = await db.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: unknown }[]>(
    'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
  );
  const done = new Map(applied.filter((a) => a.finished_at != null).map((a) => [a.migration_name, a.checksum]));
  const ran: string[] = [];
  for (const m of migrations) {
    const seen = done.get(m.name);
    if (seen) {
      if (seen !== m.checksum) log(`warning: migration ${m.name} was edited after it was applied`);
      continue;
    }
    const all = splitStatements(m.sql);
    // SQLite migrations that redefine a table (create new, copy, DROP old, rename) turn foreign
    // keys off around it: dropping the old table would otherwise cascade-delete every row that
    // references it. That pragma is a no-op inside a transaction, so it is set on the connection
    // before the transaction opens (the libsql adapter runs the transaction on that connection)
    // and checked with foreign_key_check before commit.
    const fkPragma = /^PRAGMA\s+foreign_keys\s*=/i;
    const redefines = provider === 'sqlite' && all.some((s) => /^PRAGMA\s+foreign_keys\s*=\s*OFF/i.test(s));
    const statements = redefines ? all.filter((s) => !fkPragma.test(s)) : all;
    if (redefines) await db.$executeRawUnsafe('PRAGMA foreign_keys = OFF');
    // PostgreSQL: one transaction, and an advisory lock so concurrent starts apply it once.
    await db.$transaction(async (tx) => {
      if (provider === 'postgres') {
        await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(727274)');
        const again = await tx.$queryRawUnsafe<{ n: bigint | number }[]>(
          'SELECT count(*) AS n FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL',
          m.name,
        );
        if (Number(again[0].n) > 0) return;
      }
      if (redefines && Number((await tx.$queryRawUnsafe<{ foreign_keys: bigint | number }[]>('PRAGMA foreign_keys'))[0]?.foreign_keys) !== 0) {
        throw new Error(`migration ${m.name}: foreign keys are still on inside the transaction; refusing to redefine tables (rows would be cascade-deleted)`);
      }
      for (const s of statements) await tx.$executeRawUnsafe(s);
      if (redefines) {
        const broken = await tx.$queryRawUnsafe<unknown[]>('PRAGMA foreign_key_check');
        if (broken.length) throw new Error(`migration ${m.name} leaves ${broken.length} rows with broken foreign keys: ${JSON.stringify(broken.slice(0, 5))}`);
      }
      const now = new Date();
      await tx.$executeRawUnsafe(
        placeholders(provider, 'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, $5, 1)'),
        randomUUID(),
        m.checksum,
        provider === 'postgres' ? now : now.toISOString(),
        m.name,
        provider === 'postgres' ? now : now.toISOString(),
      );
      ran.push(m.name);
    }, { timeout: 120_000 });
    log(`applied migration ${m.name}`);
  }
  return ran;
}
