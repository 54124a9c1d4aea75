import type { Db } from '../db/client.ts';

export type Provider = 'sqlite' | 'postgres';

/**
 * Which database a client talks to. The generated clients record their provider
 * ("sqlite" | "postgresql") on the instance; raw SQL differs between the two in placeholders
 * and a few functions, so the importer needs to know.
 */
export function providerOf(db: Db): Provider {
  const p = (db as unknown as { _activeProvider?: string })._activeProvider;
  if (p === 'sqlite') return 'sqlite';
  if (p === 'postgresql' || p === 'postgres') return 'postgres';
  throw new Error(`unsupported database provider: ${String(p)}`);
}

/** Writes SQL with `?` placeholders; PostgreSQL gets `$1, $2, …` (the SQL text must hold no other `?`). */
export function placeholders(provider: Provider, sql: string): string {
  if (provider === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
