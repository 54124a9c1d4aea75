import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { cachePreparedStatements, cachedStatements } from './stmt-cache.ts';

type Db = InstanceType<typeof Database> & { prepare(sql: string): { raw(on?: boolean): { all(args: unknown[]): unknown[] }; run(args: unknown[]): { changes: number } } };

describe('prepared statements kept per SQLite connection', () => {
  cachePreparedStatements();
  const dir = mkdtempSync(join(tmpdir(), 'distillery-stmt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const open = (name: string) => new Database(join(dir, name)) as Db;

  it('prepares a statement text once and hands the same statement back', () => {
    const db = open('a.db');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    const before = cachedStatements(db);
    const s1 = db.prepare('INSERT INTO t (v) VALUES (?) RETURNING id');
    const s2 = db.prepare('INSERT INTO t (v) VALUES (?) RETURNING id');
    expect(s2).toBe(s1);
    expect(cachedStatements(db)).toBe(before + 1);
    db.close();
    expect(cachedStatements(db)).toBe(0);
  });

  it('gives fresh results after an error or a partial read, and holds no snapshot once a statement finished', () => {
    const a = open('b.db');
    const b = open('b.db');
    a.exec('PRAGMA journal_mode = WAL');
    a.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    const insert = () => a.prepare('INSERT INTO t (v) VALUES (?) RETURNING id').raw(true);
    expect(insert().all(['x'])).toHaveLength(1);
    expect(() => insert().all(['x'])).toThrow(/UNIQUE/);
    expect(insert().all(['y'])).toHaveLength(1); // the statement that failed is reused and works
    const count = () => a.prepare('SELECT COUNT(*) FROM t').raw(true).all([]);
    expect(count()).toEqual([[2]]);
    b.prepare('INSERT INTO t (v) VALUES (?)').run(['z']); // another connection writes
    expect(count()).toEqual([[3]]); // the cached reader sees it: no stale read snapshot
    b.exec('BEGIN IMMEDIATE'); // and no lock is left behind by a's statements
    b.exec('COMMIT');
    a.close();
    b.close();
  });

  it('drops the least recently used statement past its size', () => {
    const proto = { prepare: (sql: string) => ({ sql }), close: () => {} };
    cachePreparedStatements(proto, 2);
    const db = Object.create(proto) as typeof proto;
    const s1 = db.prepare('SELECT 1');
    db.prepare('SELECT 2');
    expect(db.prepare('SELECT 1')).toBe(s1); // 1 is now the most recent
    db.prepare('SELECT 3'); // evicts 2
    expect(cachedStatements(db)).toBe(2);
    expect(db.prepare('SELECT 1')).toBe(s1);
    expect(db.prepare('SELECT 2')).not.toBe(undefined);
  });
});
