/**
 * Readers for the development datasets (COLD, Banking77) used by the ML tests and benchmarks.
 * The files stay where they are (`../shared/datasets` next to the repository, or
 * $DISTILLERY_DATASETS); nothing is copied into the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from './rng.ts';

export function datasetsRoot(): string {
  if (process.env.DISTILLERY_DATASETS) return process.env.DISTILLERY_DATASETS;
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'datasets');
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF), with a leading BOM removed. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function readTable(file: string): { header: string[]; rows: string[][] } {
  const all = parseCsv(fs.readFileSync(file, 'utf8'));
  const header = all[0] ?? [];
  return { header, rows: all.slice(1).filter((r) => r.length === header.length) };
}

export interface LabelledTexts {
  texts: string[];
  labels: Int32Array;
  labelNames: string[];
}

/** COLD (Chinese offensive language): label 1 = offensive. The test split has an extra fine-grained column, so columns are found by name. */
export function loadCold(split: 'train' | 'dev' | 'test', limit = Infinity): LabelledTexts & { topics: string[] } {
  const { header, rows } = readTable(path.join(datasetsRoot(), 'cold', `${split}.csv`));
  const text = header.indexOf('TEXT');
  const label = header.indexOf('label');
  const topic = header.indexOf('topic');
  if (text < 0 || label < 0) throw new Error(`COLD ${split}.csv lacks TEXT/label columns`);
  const kept = rows.slice(0, limit);
  return {
    texts: kept.map((r) => r[text]),
    labels: Int32Array.from(kept, (r) => Number(r[label])),
    topics: kept.map((r) => r[topic] ?? ''),
    labelNames: ['non-offensive', 'offensive'],
  };
}

/** Banking77 (English, 77 intents). Labels index categories.json. */
export function loadBanking77(split: 'train' | 'test', limit = Infinity): LabelledTexts {
  const dir = path.join(datasetsRoot(), 'banking77');
  const labelNames = JSON.parse(fs.readFileSync(path.join(dir, 'categories.json'), 'utf8')) as string[];
  const index = new Map(labelNames.map((c, i) => [c, i]));
  const { header, rows } = readTable(path.join(dir, `${split}.csv`));
  const text = header.indexOf('text');
  const cat = header.indexOf('category');
  const kept = rows.slice(0, limit);
  return {
    texts: kept.map((r) => r[text]),
    labels: Int32Array.from(kept, (r) => {
      const i = index.get(r[cat]);
      if (i === undefined) throw new Error(`unknown Banking77 category ${r[cat]}`);
      return i;
    }),
    labelNames,
  };
}

/** A deterministic shuffle of indices (COLD files are grouped by topic; samples must not be). */
export function shuffledIndices(n: number, seed: number): Int32Array {
  return new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
}

export function pick<T>(arr: readonly T[], idx: ArrayLike<number>): T[] {
  return Array.from({ length: idx.length }, (_, i) => arr[idx[i]]);
}

export function pickInt(arr: Int32Array, idx: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: idx.length }, (_, i) => arr[idx[i]]);
}
