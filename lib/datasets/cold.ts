import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { locateDataset } from './registry.ts';
import { readCsvFile } from './csv-file.ts';

export interface ColdRow {
  /** "<split>-<row id>", stable across runs. */
  id: string;
  split: 'train' | 'dev' | 'test';
  text: string;
  offensive: boolean;
  topic: 'race' | 'region' | 'gender';
  /** Position in train, dev, test order: COLD has no timestamps, so row order is the time order. */
  time: number;
}

/** COLD's rows in train, dev, test order. */
export async function readCold(log?: (m: string) => void): Promise<ColdRow[]> {
  const dir = await locateDataset('cold', log);
  const rows: ColdRow[] = [];
  for (const split of ['train', 'dev', 'test'] as const) {
    for (const r of readCsvFile(join(dir, `${split}.csv`))) {
      const topic = r.topic as ColdRow['topic'];
      if (r.label !== '0' && r.label !== '1') throw new Error(`COLD ${split}.csv row ${r['']}: label "${r.label}" is not 0 or 1`);
      if (!['race', 'region', 'gender'].includes(topic)) throw new Error(`COLD ${split}.csv row ${r['']}: topic "${r.topic}" unknown`);
      rows.push({ id: `${split}-${r['']}`, split, text: r.TEXT, offensive: r.label === '1', topic, time: rows.length });
    }
  }
  return rows;
}

/**
 * Which COLD rows the demo treats as human-labelled: the whole test file (so the newest slice
 * can be scored against people) and a stable 10% of the rest. Everything else is the unlabelled
 * stream a teacher scores — the setting distillation is for.
 */
export function isLabelledSubset(row: Pick<ColdRow, 'id' | 'split'>, share = 0.1): boolean {
  if (row.split === 'test') return true;
  const h = createHash('sha256').update(row.id).digest();
  return h.readUInt32BE(0) / 2 ** 32 < share;
}
