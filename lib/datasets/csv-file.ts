import { readFileSync } from 'node:fs';
import { CsvReader } from '../import/csv.ts';
import { LineSplitter } from '../import/lines.ts';

/** Reads a small CSV file (a dataset split) into records keyed by header name. */
export function readCsvFile(path: string): Record<string, string>[] {
  let header: string[] = [];
  const records: Record<string, string>[] = [];
  const problems: string[] = [];
  const reader = new CsvReader({
    header: (fields) => {
      // A BOM before the first header cell is not part of its name.
      header = fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f));
    },
    record: (fields) => records.push(Object.fromEntries(header.map((h, i) => [h, fields[i]]))),
    error: (line, reason) => problems.push(`${path}:${line}: ${reason}`),
  });
  const splitter = new LineSplitter((text, line, problem) => reader.pushLine(text, line, problem));
  splitter.push(readFileSync(path));
  splitter.end();
  reader.end();
  if (problems.length) throw new Error(`cannot read ${path}: ${problems.slice(0, 5).join('; ')}`);
  return records;
}
