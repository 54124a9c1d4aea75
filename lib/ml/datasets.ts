/**
 * Readers for the development datasets (COLD, Banking77) used by the ML tests and benchmarks.
 * The files stay where they are (`../shared/datasets` next to the repository, or
 * $DISTILLERY_DATASETS_DIR, see lib/datasets/registry.ts); nothing is copied into the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from './rng.ts';
import { localDatasetDir } from '../datasets/registry.ts';
import { readCsvFile } from '../datasets/csv-file.ts';

/** The dataset's local folder (see lib/datasets/registry.ts); `npm run demo` downloads it where there is none. */
function datasetDir(name: 'cold' | 'banking77'): string {
  const dir = localDatasetDir(name);
  if (!dir) throw new Error(`dataset ${name} not found locally (DISTILLERY_DATASETS_DIR, ../shared/datasets or data/datasets); run npm run demo once to download it`);
  return dir;
}

function readTable(file: string): { header: string[]; rows: string[][] } {
  const records = readCsvFile(file);
  const header = records.length ? Object.keys(records[0]) : [];
  return { header, rows: records.map((r) => header.map((h) => r[h])) };
}

export interface LabelledTexts {
  texts: string[];
  labels: Int32Array;
  labelNames: string[];
}

/** COLD (Chinese offensive language): label 1 = offensive. The test split has an extra fine-grained column, so columns are found by name. */
export function loadCold(split: 'train' | 'dev' | 'test', limit = Infinity): LabelledTexts & { topics: string[] } {
  const { header, rows } = readTable(path.join(datasetDir('cold'), `${split}.csv`));
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
  const dir = datasetDir('banking77');
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
