import { describe, expect, it } from 'vitest';
import { readMigrations, splitStatements } from './migrate.ts';
import { readFileSync } from 'node:fs';

describe('migrations', () => {
  it('splits statements on semicolons outside quotes and comments', () => {
    expect(splitStatements(`-- a; comment\nCREATE TABLE "a;b" (x TEXT DEFAULT 'x;y');\n\nCREATE INDEX i ON t(x);`)).toEqual([
      `CREATE TABLE "a;b" (x TEXT DEFAULT 'x;y')`,
      'CREATE INDEX i ON t(x)',
    ]);
  });
  it('keeps a dollar-quoted function body (semicolons, quotes) in one statement', () => {
    const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  PERFORM 1; -- a; b\n  RETURN 'x'';y';\nEND $body$`;
    expect(splitStatements(`${fn};\nSELECT $$a;b$$;\nCREATE INDEX i ON t(x);`)).toEqual([fn, 'SELECT $$a;b$$', 'CREATE INDEX i ON t(x)']);
  });
  it('has the same migrations for both providers', () => {
    const names = (p: 'sqlite' | 'postgres') => readMigrations(p).map((m) => m.name);
    expect(names('sqlite')).toEqual(names('postgres'));
    expect(names('sqlite').length).toBeGreaterThan(0);
  });
  it('keeps the PostgreSQL schema derived from the SQLite one', async () => {
    // @ts-expect-error plain JS module
    const { derivePostgresSchema } = await import('../../scripts/generate-prisma.mjs');
    const sqlite = readFileSync('prisma/sqlite/schema.prisma', 'utf8');
    expect(readFileSync('prisma/postgres/schema.prisma', 'utf8')).toBe(derivePostgresSchema(sqlite));
  });
  it('has a snapshot equal to the schema, so no schema change lacks its migration', () => {
    for (const p of ['sqlite', 'postgres'] as const) {
      expect(readFileSync(`prisma/${p}/migrations/schema.snapshot.prisma`, 'utf8')).toBe(readFileSync(`prisma/${p}/schema.prisma`, 'utf8'));
    }
  });
});
