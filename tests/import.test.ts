import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticImport } from '../bench/synthetic-import.ts';
import type { Db } from '../lib/db/client.ts';
import { DomainError } from '../lib/errors.ts';
import { importFile, type ImportOptions, type ImportProgress } from '../lib/import/importer.ts';
import { recomputeSplit } from '../lib/import/split.ts';
import { softmax } from '../lib/import/teacher.ts';
import { decodeProbs } from '../lib/db/probs.ts';
import { locateDataset } from '../lib/datasets/registry.ts';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-import-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes a file under the test's temp dir and returns its path. */
function file(name: string, content: string | Buffer): string {
  const path = join(dir, `${++fileCount}-${name}`);
  writeFileSync(path, content);
  return path;
}

async function makePhase(db: Db, opts: { labels?: string[]; testFraction?: number; minTextLength?: number } = {}) {
  const task = await db.task.create({ data: { slug: `t${Math.random().toString(36).slice(2)}`, name: 'Moderation' } });
  return db.phase.create({
    data: {
      taskId: task.id,
      key: 'offensive',
      name: 'Offensive?',
      position: 0,
      labels: JSON.stringify(opts.labels ?? ['safe', 'offensive']),
      testFraction: opts.testFraction ?? 0.25,
      minTextLength: opts.minTextLength ?? 2,
    },
  });
}

/** Runs an import that must fail, and returns the DomainError. */
async function importFailure(db: Db, options: ImportOptions): Promise<DomainError> {
  try {
    await importFile(db, options);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('the import was expected to fail');
}

const itemsOf = (db: Db, phaseId: number) => db.item.findMany({ where: { phaseId }, orderBy: { ordinal: 'asc' }, include: { predictions: { include: { teacher: true } } } });

// 10 data rows: 5 items, 2 in-file duplicates (a3 differs from a1 by width, case and
// spacing only; a8 from a7 by surrounding spaces), 3 noise (a4, a5, a6).
const GOOD_CSV = [
  'id,text,time,label,probs:bert-v3,logits:prod-2023,topic',
  'a1,"You are great, really",2024-05-01T10:00:00Z,safe,"[0.9,0.1]",2 1,race',
  'a2,"multi-line',
  'text with ""quotes""",2024-05-03,offensive,0.2;0.8,,region',
  'a3,ＹＯＵ   are great， really,2024-05-02,,,,',
  'a4,!!!!!!,2024-05-04,,,,',
  'a5,哈哈哈哈哈哈,2024-05-04,,,,',
  'a6,a,2024-05-04,,,,',
  'a7,新疆人也是中国人,2024-05-02T00:00:00+08:00,offensive,0.3 0.7,,',
  'a8,  新疆人也是中国人  ,,safe,"[0.5,0.5]",,',
  'a9,最新的一条,2024-06-01T00:00:00Z,,"[0.6,0.4]",0;0,',
  'a10,old one without time,,,,,',
].join('\r\n');

describe.each(providers)('importFile on %s', (provider) => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await freshDatabase(provider);
    db = database.db;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('imports a good CSV: counts, items, teacher predictions, temporal split', async () => {
    const phase = await makePhase(db, { testFraction: 0.25 });
    const progress: ImportProgress[] = [];
    const report = await importFile(db, { phaseId: phase.id, path: file('good.csv', GOOD_CSV), onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({
      rows: 10,
      imported: 5,
      duplicates: 2,
      filtered: { empty: 0, symbols: 1, repeated: 1, tooShort: 1 },
      invalid: { count: 0, errors: [] },
      split: { train: 3, test: 2 },
    });
    expect(report.teachers.map((t) => [t.name, t.created, t.predictions])).toEqual([
      ['bert-v3', true, 4],
      ['prod-2023', true, 2],
    ]);
    expect(report.itemsPerSecond).toBeGreaterThan(0);

    const items = await itemsOf(db, phase.id);
    expect(items.map((i) => i.externalId)).toEqual(['a1', 'a2', 'a7', 'a9', 'a10']);
    // Ordinals follow the file; skipped rows leave gaps.
    const ordinals = items.map((i) => i.ordinal);
    expect([...ordinals].sort((x, y) => x - y)).toEqual(ordinals);
    expect(new Set(ordinals).size).toBe(5);
    const a2 = items[1];
    expect(a2.text).toBe('multi-line\r\ntext with "quotes"');
    expect(a2.goldLabel).toBe('offensive');
    expect(a2.timeKey).toBe(Date.UTC(2024, 4, 3));
    expect(JSON.parse(a2.metadata!)).toEqual({ topic: 'region' });
    expect(items[2].timeKey).toBe(Date.UTC(2024, 4, 1, 16));
    expect(items[4].timeKey).toBeNull();
    expect(items[0].textHash).toMatch(/^[0-9a-f]{32}$/);

    // Probabilities stored as float32; logits went through softmax.
    const a1 = items[0].predictions.sort((x, y) => x.teacher.name.localeCompare(y.teacher.name));
    expect(Array.from(decodeProbs(a1[0].probs))).toEqual([Math.fround(0.9), Math.fround(0.1)]);
    expect(a1[0].probs.byteLength).toBe(8);
    const soft = softmax([2, 1]);
    expect(Array.from(decodeProbs(a1[1].probs))).toEqual(soft.map(Math.fround));
    expect(await db.teacherPrediction.count({ where: { item: { phaseId: phase.id } } })).toBe(6);
    expect(await db.teacherPrediction.count({ where: { item: { externalId: 'a7', phaseId: phase.id } } })).toBe(1);

    // Newest 25% (ceil of 1.5 = 2) by time key: a9 (June) and a2 (May 3rd). Items without a
    // time key count as older than any with one.
    const test = items.filter((i) => i.split === 'test').map((i) => i.externalId);
    expect(test.sort()).toEqual(['a2', 'a9']);

    expect(progress.some((p) => p.phase === 'validate')).toBe(true);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ phase: 'write', rows: 10, totalBytes: Buffer.byteLength(GOOD_CSV) });
    expect(last.bytes).toBe(last.totalBytes);
  });

  it('imports JSONL, and a re-import of the same file adds nothing', async () => {
    const phase = await makePhase(db, { testFraction: 0.5 });
    const lines = [
      { text: 'first message', id: 'j1', time: '2024-01-01T00:00:00Z', label: 'safe', teachers: { 'bert-v3': { probs: [0.8, 0.2] }, 'prod-2023': { logits: [1.2, -0.3] } } },
      { text: 'second message', id: 'j2', time: 1704153600000, teachers: { 'bert-v3': [0.1, 0.9] }, meta: { source: 'app' }, channel: 'web' },
      { text: 'third message', id: 'j3', label: 'offensive' },
      { text: 'fourth message', id: 'j4', time: '2024-01-05' },
    ];
    const path = file('items.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
    const first = await importFile(db, { phaseId: phase.id, path });
    expect(first).toMatchObject({ rows: 4, imported: 4, duplicates: 0, split: { train: 2, test: 2 } });
    expect(first.teachers.map((t) => [t.name, t.predictions])).toEqual([
      ['bert-v3', 2],
      ['prod-2023', 1],
    ]);
    const items = await itemsOf(db, phase.id);
    expect(JSON.parse(items[1].metadata!)).toEqual({ channel: 'web', source: 'app' });
    expect(items.filter((i) => i.split === 'test').map((i) => i.externalId).sort()).toEqual(['j2', 'j4']);

    const again = await importFile(db, { phaseId: phase.id, path });
    expect(again).toMatchObject({ rows: 4, imported: 0, duplicates: 4, split: { train: 2, test: 2 } });
    expect(again.teachers.map((t) => [t.name, t.created, t.predictions])).toEqual([
      ['bert-v3', false, 0],
      ['prod-2023', false, 0],
    ]);
    expect(await db.item.count({ where: { phaseId: phase.id } })).toBe(4);
    expect(await db.teacherPrediction.count({ where: { item: { phaseId: phase.id } } })).toBe(3);
    expect(await db.teacher.count({ where: { phaseId: phase.id } })).toBe(2);
  });

  // Each bad file: the import fails with the bad rows by line, and nothing is written.
  const badFiles: { name: string; content: string | Buffer; errors: { line: number; reason: string | RegExp }[] }[] = [
    {
      name: 'bad-json.jsonl',
      content: '{"text":"fine one"}\n{"text": "broken",\n{"text":"fine two"}\n',
      errors: [{ line: 2, reason: /^invalid JSON: / }],
    },
    {
      name: 'labels-and-vectors.csv',
      content: ['text,label,probs:bert', 'ok one,safe,"[0.1,0.9]"', 'see you,maybe,"[0.8,0.2]"', 'meeting,safe,"[0.7,0.2,0.1]"', 'nan here,,"[0.5,NaN]"', 'sums,,0.5;0.6', 'fine,,0.5;0.5'].join('\n'),
      errors: [
        { line: 3, reason: 'unknown label "maybe" (allowed: safe, offensive)' },
        { line: 4, reason: 'teacher "bert": expected 2 probabilities (safe, offensive), got 3' },
        { line: 5, reason: 'teacher "bert": probs value 2 (offensive) is NaN' },
        { line: 6, reason: /^teacher "bert": probabilities sum to 1.1, not 1/ },
      ],
    },
    {
      name: 'quoting.csv',
      content: ['text,label', 'fine,safe', 'ab"c,safe', '"closed"x,safe', 'a,b,c', 'after,safe', '"never closed,safe', 'last,safe'].join('\n'),
      errors: [
        { line: 3, reason: /^quote inside an unquoted field \(column 1\)/ },
        { line: 4, reason: 'text after the closing quote of column 1' },
        { line: 5, reason: 'expected 2 columns, got 3' },
        { line: 7, reason: 'unterminated quoted field: the quote opened in column 1 on line 7 never closes' },
      ],
    },
    {
      name: 'utf8.csv',
      content: Buffer.concat([Buffer.from('text,time\nfine,2024-01-01\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from(',2024-01-02\nwhen,2024-13-01\n')]),
      errors: [
        { line: 3, reason: 'invalid UTF-8' },
        { line: 4, reason: 'invalid time "2024-13-01": month 13 does not exist' },
      ],
    },
    {
      name: 'utf8.jsonl',
      content: Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n{"id":"x"}\n')]),
      errors: [
        { line: 2, reason: 'invalid UTF-8' },
        { line: 3, reason: 'missing "text"' },
      ],
    },
  ];

  it.each(badFiles)('rejects $name with line-numbered errors and writes nothing', async ({ name, content, errors }) => {
    const phase = await makePhase(db);
    const kept = await importFile(db, { phaseId: phase.id, path: file('kept.csv', 'id,text,probs:bert\nk1,kept item,"[0.5,0.5]"\nk2,another kept item,"[0.4,0.6]"\n') });
    expect(kept.imported).toBe(2);
    const before = await itemsOf(db, phase.id);

    const err = await importFailure(db, { phaseId: phase.id, path: file(name, content) });
    expect(err.status).toBe(422);
    expect(err.message).toMatch(new RegExp(`^${errors.length} of \\d+ rows are invalid; nothing was imported`));
    const details = err.details as { invalid: { count: number; errors: { line: number; reason: string }[] } };
    expect(details.invalid.count).toBe(errors.length);
    expect(details.invalid.errors.map((e) => e.line)).toEqual(errors.map((e) => e.line));
    details.invalid.errors.forEach((e, i) => {
      const want = errors[i].reason;
      if (typeof want === 'string') expect(e.reason).toBe(want);
      else expect(e.reason).toMatch(want);
    });

    expect(await itemsOf(db, phase.id)).toEqual(before);
    expect(await db.teacher.count({ where: { phaseId: phase.id } })).toBe(1);
  });

  it('rejects a CSV whose header has no text column, naming the columns', async () => {
    const phase = await makePhase(db);
    const err = await importFailure(db, { phaseId: phase.id, path: file('header.csv', 'id,body\n1,hello\n') });
    expect(err.status).toBe(422);
    expect(err.details).toEqual({ rows: 0, invalid: { count: 1, errors: [{ line: 1, reason: 'header: no "text" column; columns are "id", "body"' }] } });
    const empty = await importFailure(db, { phaseId: phase.id, path: file('empty.csv', '') });
    expect(empty.message).toMatch(/a CSV file needs a header row/);
    expect(await db.item.count({ where: { phaseId: phase.id } })).toBe(0);
  });

  it('caps the listed errors but counts them all', async () => {
    const phase = await makePhase(db);
    const rows = ['text,label', ...Array.from({ length: 30 }, (_, i) => `row ${i},nope`)];
    const err = await importFailure(db, { phaseId: phase.id, path: file('many.csv', rows.join('\n')), maxErrors: 5 });
    expect(err.details).toMatchObject({ rows: 30, invalid: { count: 30 } });
    expect((err.details as { invalid: { errors: unknown[] } }).invalid.errors).toHaveLength(5);
  });

  it('with skipInvalid imports the good rows and reports the bad ones', async () => {
    const phase = await makePhase(db);
    const report = await importFile(db, { phaseId: phase.id, path: file(badFiles[1].name, badFiles[1].content), skipInvalid: true });
    expect(report).toMatchObject({ rows: 6, imported: 2, invalid: { count: 4 } });
    expect(report.invalid.errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    const texts = (await itemsOf(db, phase.id)).map((i) => i.text);
    expect(texts).toEqual(['ok one', 'fine']);
  });

  it('dedupes against items already in the phase and recomputes the split with newer items', async () => {
    const phase = await makePhase(db, { testFraction: 0.5 });
    await importFile(db, { phaseId: phase.id, path: file('old.csv', 'text,time\nold one,2024-01-01\nold two,2024-01-02\n') });
    expect((await itemsOf(db, phase.id)).map((i) => [i.text, i.split])).toEqual([
      ['old one', 'train'],
      ['old two', 'test'],
    ]);
    const report = await importFile(db, { phaseId: phase.id, path: file('new.csv', 'text,time\nOLD  TWO,2024-03-01\nnew one,2024-02-01\nnew two,2024-02-02\n') });
    expect(report).toMatchObject({ rows: 3, imported: 2, duplicates: 1, split: { train: 2, test: 2 } });
    const items = await itemsOf(db, phase.id);
    expect(items.map((i) => [i.text, i.split, i.ordinal])).toEqual([
      ['old one', 'train', 0],
      ['old two', 'train', 1],
      ['new one', 'test', 3],
      ['new two', 'test', 4],
    ]);
    // recomputeSplit alone is idempotent.
    expect(await recomputeSplit(db, phase.id)).toEqual({ train: 2, test: 2 });
  });

  it('imports from a stream factory with an explicit format, and needs the format', async () => {
    const phase = await makePhase(db);
    const body = 'text,label\nstreamed item,safe\n';
    let opened = 0;
    const stream = () => {
      opened++;
      return Readable.from([Buffer.from(body)]);
    };
    const report = await importFile(db, { phaseId: phase.id, stream, format: 'csv' });
    expect(report.imported).toBe(1);
    expect(opened).toBe(2); // validated, then written
    await expect(importFile(db, { phaseId: phase.id, stream })).rejects.toMatchObject({ status: 400, message: 'format is required when importing from a stream' });
    await expect(importFile(db, { phaseId: phase.id, path: file('x.txt', body) })).rejects.toMatchObject({ status: 400 });
    await expect(importFile(db, { phaseId: 999_999, path: file('y.csv', body) })).rejects.toMatchObject({ status: 404 });
    await expect(importFile(db, { phaseId: phase.id, path: file('z.csv', body), labelMap: { '1': 'spam' } })).rejects.toMatchObject({ status: 400 });
  });

  it('keeps the batches it wrote when the file changes under it, and a re-run finishes the job', async () => {
    const phase = await makePhase(db);
    const rows = Array.from({ length: 10 }, (_, i) => `message number ${i},safe`);
    const good = ['text,label', ...rows].join('\n');
    // The second read (the write pass) sees a bad row after six good ones.
    const changed = ['text,label', ...rows.slice(0, 6), 'message number 6,maybe', ...rows.slice(7)].join('\n');
    let reads = 0;
    // One chunk per line, so that batches are written while the file is still being read.
    const stream = () => Readable.from((reads++ === 0 ? good : changed).split('\n').map((l) => Buffer.from(l + '\n')));
    const err = await importFailure(db, { phaseId: phase.id, stream, format: 'csv', batchSize: 3 });
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/the file changed while it was being imported \(line 8 is now invalid/);
    expect(await db.item.count({ where: { phaseId: phase.id } })).toBe(6);

    const rerun = await importFile(db, { phaseId: phase.id, path: file('finish.csv', good), batchSize: 3 });
    expect(rerun).toMatchObject({ rows: 10, imported: 4, duplicates: 6 });
    expect(await db.item.count({ where: { phaseId: phase.id } })).toBe(10);
  });

  it('imports COLD (BOM, empty first column name, TEXT, numeric labels) with options only', async () => {
    // The registry's copy (DISTILLERY_DATASETS_DIR, ../shared/datasets, or downloaded and checked): never skipped.
    const cold = join(await locateDataset('cold'), 'test.csv');
    const phase = await makePhase(db, { testFraction: 0.1 });
    const report = await importFile(db, {
      phaseId: phase.id,
      path: cold,
      columns: { text: 'TEXT', id: 'column1' },
      labelMap: { '0': 'safe', '1': 'offensive' },
    });
    expect(report.invalid.count).toBe(0);
    expect(report.rows).toBe(5323);
    expect(report.imported + report.duplicates + Object.values(report.filtered).reduce((a, b) => a + b, 0)).toBe(5323);
    expect(report.imported).toBeGreaterThan(5200);
    const first = await db.item.findFirst({ where: { phaseId: phase.id }, orderBy: { ordinal: 'asc' } });
    expect(first).toMatchObject({ externalId: '1949', goldLabel: 'offensive' });
    expect(JSON.parse(first!.metadata!)).toEqual({ split: 'test', topic: 'race', 'fine-grained-label': '2' });
    expect(report.split.test).toBe(Math.ceil(report.imported * 0.1));
  });
});

describe.runIf(providers.includes('sqlite'))('a 1M-row import on SQLite', () => {
  it('runs in bounded memory (child process peak RSS)', async () => {
    const csv = join(dir, 'million.csv');
    writeSyntheticImport(csv, { rows: 1_000_000, seed: 11 });
    const out = execFileSync(join('node_modules', '.bin', 'tsx'), ['tests/import/large-import-child.ts', csv, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    console.log(`1M-row import: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ rows: 1_000_000, invalid: 0, test: 100_000 });
    expect(result.imported + result.duplicates).toBe(1_000_000);
    expect(result.predictions).toBe(result.imported);
    expect(result.peakRssMb).toBeLessThan(600);
  }, 240_000);
});
