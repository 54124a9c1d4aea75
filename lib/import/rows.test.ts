import { describe, expect, it } from 'vitest';
import { csvRow, jsonlRow, makeRules, planCsv, type CsvPlan, type RowResult } from './rows.ts';

/** The row both readers make of the documented example: id a1, 2024-05-01T10:00Z, gold "offensive", teacher probs [0.2, 0.8] then logits [0, 0]. */
const fullRow = (line: number, text: string, metadata: string, teachers: [string, string]) => ({
  line,
  text,
  externalId: 'a1',
  timeKey: Date.UTC(2024, 4, 1, 10),
  goldLabel: 'offensive',
  metadata,
  predictions: [
    { teacher: teachers[0], probs: [0.2, 0.8] },
    { teacher: teachers[1], probs: [0.5, 0.5] },
  ],
});

const labels = ['safe', 'offensive'];
const rules = makeRules(labels);

function plan(header: string[], r = rules): CsvPlan {
  const p = planCsv(header, r);
  if (!p.ok) throw new Error(p.reason);
  return p.plan;
}
const reasonOf = (r: RowResult) => (r.ok ? null : r.reason);
const rowOf = (r: RowResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r.row;
};

describe('planCsv', () => {
  it('finds roles, teacher columns and metadata columns', () => {
    const p = plan(['id', 'text', 'time', 'label', 'probs:bert-v3', 'logits:prod-2023', 'topic']);
    expect(p).toMatchObject({ text: 1, id: 0, time: 2, label: 3, meta: [{ name: 'topic', index: 6 }] });
    expect(p.teachers).toEqual([
      { name: 'bert-v3', kind: 'probs', vector: 4, perLabel: null },
      { name: 'prod-2023', kind: 'logits', vector: 5, perLabel: null },
    ]);
  });

  it('reads per-label teacher columns in label order, whatever the column order', () => {
    const p = plan(['text', 'probs:bert:offensive', 'probs:bert:safe']);
    expect(p.teachers).toEqual([{ name: 'bert', kind: 'probs', vector: -1, perLabel: [2, 1] }]);
  });

  it('keeps colons in teacher names when the last part is not a label', () => {
    expect(plan(['text', 'probs:bert:v3']).teachers[0].name).toBe('bert:v3');
  });

  it('maps COLD with options: BOM-stripped empty first column, TEXT, numeric labels', () => {
    const cold = makeRules(labels, { '0': 'safe', '1': 'offensive' }, { text: 'TEXT', id: 'column1' });
    const p = plan(['', 'split', 'topic', 'label', 'TEXT'], cold);
    expect(p).toMatchObject({ text: 4, id: 0, label: 3 });
    const row = rowOf(csvRow(['8168', 'dev', 'race', '1', '主要是黑人'], 2, p, cold));
    expect(row).toEqual({ line: 2, text: '主要是黑人', externalId: '8168', timeKey: null, goldLabel: 'offensive', metadata: '{"split":"dev","topic":"race"}', predictions: [] });
    // The empty name itself works too.
    expect(plan(['', 'TEXT'], makeRules(labels, {}, { text: 'TEXT', id: '' })).id).toBe(0);
  });

  it('rejects unusable headers with a reason', () => {
    const fail = (h: string[], r = rules) => {
      const p = planCsv(h, r);
      return p.ok ? null : p.reason;
    };
    expect(fail(['id', 'TEXT'])).toBe('header: no "text" column; columns are "id", "TEXT"');
    expect(fail(['id', 'body'], makeRules(labels, {}, { text: 'TEXT' }))).toMatch(/^header: no "TEXT" column \(mapped from "text"/);
    expect(fail(['text', 'when'], makeRules(labels, {}, { time: 'ts' }))).toBe('header: no column "ts" (given as the time column)');
    expect(fail(['text', 'a', 'a'])).toBe('header: column "a" appears twice (columns 2 and 3)');
    expect(fail(['text', 'probs:bert:safe'])).toBe('header: teacher "bert" has per-label columns but lacks probs:bert:offensive');
    expect(fail(['text', 'probs:bert', 'probs:bert:safe', 'probs:bert:offensive'])).toMatch(/both a probs:bert column and per-label columns/);
    expect(fail(['text', 'probs:bert', 'logits:bert'])).toBe('header: teacher "bert" has both probs and logits columns');
  });
});

describe('csvRow', () => {
  const p = plan(['id', 'text', 'time', 'label', 'probs:bert', 'logits:old', 'topic']);
  const row = (...cells: string[]) => csvRow(cells, 7, p, rules);

  it('builds an item with predictions and metadata', () => {
    const r = rowOf(row('a1', 'hello', '2024-05-01T10:00:00Z', 'offensive', '[0.2,0.8]', '0 0', 'x'));
    expect(r).toEqual(fullRow(7, 'hello', '{"topic":"x"}', ['bert', 'old']));
  });

  it('treats empty optional cells as absent', () => {
    expect(rowOf(row('', 'hello', '', '', '', '', ''))).toEqual({ line: 7, text: 'hello', externalId: null, timeKey: null, goldLabel: null, metadata: null, predictions: [] });
  });

  it('gives a precise reason for each kind of bad cell', () => {
    expect(reasonOf(row('a', 'x', '', 'maybe', '', '', ''))).toBe('unknown label "maybe" (allowed: safe, offensive)');
    expect(reasonOf(row('a', 'x', '', '', '0.1;0.2;0.7', '', ''))).toBe('teacher "bert": expected 2 probabilities (safe, offensive), got 3');
    expect(reasonOf(row('a', 'x', '', '', '0.1;NaN', '', ''))).toBe('teacher "bert": probs value 2 (offensive) is NaN');
    expect(reasonOf(row('a', 'x', '', '', '0.1;zero', '', ''))).toBe('teacher "bert": probs value 2 (offensive) "zero" is not a number');
    expect(reasonOf(row('a', 'x', '', '', '', '1;Infinity', ''))).toBe('teacher "old": logits value 2 (offensive) is Infinity');
    expect(reasonOf(row('a', 'x', '', '', '0.5;0.6', '', ''))).toMatch(/^teacher "bert": probabilities sum to 1.1, not 1/);
    expect(reasonOf(row('a', 'x', 'soon', '', '', '', ''))).toMatch(/^invalid time "soon"/);
    expect(reasonOf(row('a', 'nul\u0000here', '', '', '', '', ''))).toBe('text contains a NUL character (U+0000)');
  });

  it('reads per-label columns and complains about a missing one', () => {
    const pl = plan(['text', 'probs:bert:safe', 'probs:bert:offensive']);
    expect(rowOf(csvRow(['t', '0.3', '0.7'], 2, pl, rules)).predictions).toEqual([{ teacher: 'bert', probs: [0.3, 0.7] }]);
    expect(rowOf(csvRow(['t', '', ''], 2, pl, rules)).predictions).toEqual([]);
    expect(reasonOf(csvRow(['t', '0.3', ''], 2, pl, rules))).toBe('teacher "bert": probs:bert:offensive is empty');
    expect(reasonOf(csvRow(['t', '0.3', 'x'], 2, pl, rules))).toBe('teacher "bert": probs value 2 (offensive) "x" is not a number');
  });

  it('maps label values', () => {
    const mapped = makeRules(labels, { '0': 'safe', '1': 'offensive' });
    const pl = plan(['text', 'label'], mapped);
    expect(rowOf(csvRow(['t', '1'], 2, pl, mapped)).goldLabel).toBe('offensive');
    expect(rowOf(csvRow(['t', 'safe'], 2, pl, mapped)).goldLabel).toBe('safe');
    expect(reasonOf(csvRow(['t', '2'], 2, pl, mapped))).toBe('unknown label "2" (allowed: safe, offensive; labelMap maps "0", "1")');
  });
});

describe('jsonlRow', () => {
  const j = (o: unknown) => jsonlRow(typeof o === 'string' ? o : JSON.stringify(o), 3, rules);

  it('reads the documented shape', () => {
    const r = rowOf(
      j({ text: 'hi', id: 'a1', time: '2024-05-01T10:00:00Z', label: 'offensive', teachers: { 'bert-v3': { probs: [0.2, 0.8] }, 'prod-2023': { logits: [0, 0] } }, meta: { src: 'app' } }),
    );
    expect(r).toEqual(fullRow(3, 'hi', '{"src":"app"}', ['bert-v3', 'prod-2023']));
  });

  it('takes a bare array as probabilities, numbers as ids and times, and keeps unknown keys as metadata', () => {
    const r = rowOf(j({ text: 'hi', id: 7, time: 12, teachers: { bert: [0.4, 0.6] }, channel: 'web', meta: { a: 1 } }));
    expect(r.predictions).toEqual([{ teacher: 'bert', probs: [0.4, 0.6] }]);
    expect(r.externalId).toBe('7');
    expect(r.timeKey).toBe(12);
    expect(JSON.parse(r.metadata!)).toEqual({ channel: 'web', a: 1 });
  });

  it('uses mapped key names', () => {
    const mapped = makeRules(labels, { '1': 'offensive' }, { text: 'content', label: 'y' });
    expect(rowOf(jsonlRow('{"content":"hey","y":1}', 1, mapped))).toMatchObject({ text: 'hey', goldLabel: 'offensive', metadata: null });
  });

  it('gives a precise reason for each kind of bad line', () => {
    expect(reasonOf(j('{"text": "a",}'))).toMatch(/^invalid JSON: /);
    expect(reasonOf(j('{"text": [0.1, NaN]}'))).toMatch(/^invalid JSON: /);
    expect(reasonOf(j('[1,2]'))).toBe('expected a JSON object, got an array');
    expect(reasonOf(j({ id: 'x' }))).toBe('missing "text"');
    expect(reasonOf(j({ text: 5 }))).toBe('"text" must be a string, got a number');
    expect(reasonOf(j({ text: 'a', label: 'meh' }))).toBe('unknown label "meh" (allowed: safe, offensive)');
    expect(reasonOf(j({ text: 'a', teachers: { bert: [0.5] } }))).toBe('teacher "bert": expected 2 probabilities (safe, offensive), got 1');
    expect(reasonOf(j({ text: 'a', teachers: { bert: [0.5, '0.5'] } }))).toBe('teacher "bert": probs value 2 (offensive) "0.5" is not a number');
    expect(reasonOf(j({ text: 'a', teachers: { bert: { probs: [0.5, 0.5], logits: [1, 2] } } }))).toBe('teacher "bert": give exactly one of "probs" or "logits"');
    expect(reasonOf(j({ text: 'a', teachers: [0.5, 0.5] }))).toMatch(/^"teachers" must be an object/);
    expect(reasonOf(j({ text: 'a', time: '2024-02-30' }))).toBe('invalid time "2024-02-30": day 30 does not exist in 2024-02');
    expect(reasonOf(j({ text: 'a', meta: 'x' }))).toBe('"meta" must be an object, got a string');
    expect(reasonOf(j('{"text": "\\ud800 lone"}'))).toBe('text contains an unpaired UTF-16 surrogate');
  });
});
