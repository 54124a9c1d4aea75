import { resolve } from 'node:path';

/** Where the embedded database, artifacts and caches live (default ./data). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(/*turbopackIgnore: true*/ env.DISTILLERY_DATA_DIR || 'data');
}

export type DatabaseConfig =
  | { provider: 'sqlite'; url: string; file: string }
  | { provider: 'postgres'; url: string };

/** DATABASE_URL unset → embedded SQLite under the data folder; postgres(ql):// → PostgreSQL. */
export function databaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    const file = resolve(dataDir(env), 'distillery.db');
    return { provider: 'sqlite', url: `file:${file}`, file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgres', url };
  if (url.startsWith('file:')) {
    const file = resolve(url.slice('file:'.length));
    return { provider: 'sqlite', url: `file:${file}`, file };
  }
  throw new Error(`DATABASE_URL must start with postgres://, postgresql:// or file: (got "${url.slice(0, 20)}…")`);
}
