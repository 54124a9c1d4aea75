/**
 * Streaming import of a CSV or JSONL file into one phase, in two passes over the data:
 *
 * 1. validate: parse and check every row, write nothing. If a row is bad and skipInvalid is
 *    off, the import fails with the bad rows (line + reason) and the database is untouched.
 * 2. write: parse again, drop noise, dedupe, and insert in batches, one transaction each.
 *    A batch that committed stays; a re-run skips what is already there (same text hash).
 *
 * Neither pass holds more than a chunk of the file and one batch of rows, so memory does not
 * grow with the file. Reading twice is why the source is a path or a stream factory.
 */

import { withPhaseLock } from './phase-lock.ts';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Db } from '../db/client.ts';
import { badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import { CsvReader } from './csv.ts';
import { LineSplitter, type LineProblem } from './lines.ts';
import { noiseReason, normalizeText, textHash, type NoiseReason } from './normalize.ts';
import { COLUMN_ROLES, csvRow, jsonlRow, makeRules, planCsv, type ColumnRole, type ImportRow, type RowResult, type RowRules } from './rows.ts';
import { recomputeSplit } from './split.ts';
import { parseLabels } from '../tasks/phase.ts';
import { audit, type Actor } from '../audit.ts';
import { enqueueQueueRebuild } from '../queue/rebuild-job.ts';
import { nextOrdinal, openBatchWriter, upsertTeachers, type BatchWriter, type PendingItem } from './write.ts';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportProgress {
  phase: 'validate' | 'write';
  /** Rows read so far in this pass. */
  rows: number;
  bytes: number;
  totalBytes?: number;
}

export interface ImportOptions {
  phaseId: number;
  /** The file to import; read twice. */
  path?: string;
  /** Instead of a path: returns a fresh stream of the same bytes on each call (called twice). */
  stream?: () => AsyncIterable<Uint8Array | string>;
  /** Default: from the path's extension (.csv, .jsonl, .ndjson). Required with `stream`. */
  format?: ImportFormat;
  /** The file's names for the text, id, time and label columns (or JSONL keys). */
  columns?: Partial<Record<ColumnRole, string>>;
  /** File label values → phase label names, e.g. {"0": "safe", "1": "offensive"}. */
  labelMap?: Record<string, string>;
  /** Import the good rows and report the bad ones instead of failing. */
  skipInvalid?: boolean;
  /** Rows per transaction. */
  batchSize?: number;
  /** How many bad rows to list (all are counted). */
  maxErrors?: number;
  onProgress?: (p: ImportProgress) => void;
  /** Who imports (audit trail); null = the CLI operator or the system. */
  by?: Actor;
  /** The file's name as the user knows it, for the audit trail (default: path). */
  source?: string;
}

export interface RowError {
  line: number;
  reason: string;
}

export interface ImportReport {
  phaseId: number;
  /** Data rows in the file (header and blank lines excluded). */
  rows: number;
  imported: number;
  /** Rows whose normalised text was already in the file or in the phase. */
  duplicates: number;
  filtered: Record<NoiseReason, number>;
  invalid: { count: number; errors: RowError[] };
  teachers: { id: number; name: string; created: boolean; predictions: number }[];
  split: { train: number; test: number };
  durationMs: number;
  /** Imported items per second of wall time, both passes and the split included. */
  itemsPerSecond: number;
  /**
   * The queue rebuild job the import enqueued (a worker ranks the new items, so the phase can be
   * labelled without a lead acting); null when the import changed nothing.
   */
  queueRebuild: { jobId: number } | null;
}

export const DEFAULT_BATCH_SIZE = 10_000;
export const DEFAULT_MAX_ERRORS = 1000;

export async function importFile(db: Db, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const format = resolveFormat(options);
  const open = opener(options);
  const totalBytes = options.path ? fileSize(options.path) : undefined;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;

  const phase = await db.phase.findUnique({ where: { id: options.phaseId }, select: { id: true, labels: true, minTextLength: true } });
  if (!phase) throw notFound('Phase');
  const rules = makeRules(parseLabels(phase.labels), checkLabelMap(options.labelMap, parseLabels(phase.labels)), checkColumns(options.columns));

  // Pass 1: validate everything, write nothing.
  const progress = (phaseName: ImportProgress['phase']) => (rows: number, bytes: number) => options.onProgress?.({ phase: phaseName, rows, bytes, totalBytes });
  const checked = await validatePass(open, format, rules, maxErrors, progress('validate'));
  if (checked.invalid.count > 0 && !options.skipInvalid) {
    throw unprocessable(
      `${checked.invalid.count} of ${checked.rows} rows are invalid; nothing was imported (fix them, or import with skipInvalid to skip them)`,
      { rows: checked.rows, invalid: checked.invalid },
    );
  }

  // Pass 2: filter, dedupe and write in batches, one import per phase at a time (phase-lock.ts).
  const { written, teachers } = await withPhaseLock(db, phase.id, 'import', async () => {
    const teachers = await upsertTeachers(db, phase.id, checked.teacherNames);
    const writer = await openBatchWriter(db);
    try {
      const written: WriteSummary = await writePass(open, format, rules, {
        phaseId: phase.id,
        minTextLength: phase.minTextLength,
        firstOrdinal: await nextOrdinal(db, phase.id),
        teachers,
        batchSize,
        skipInvalid: options.skipInvalid ?? false,
        writer,
        progress: progress('write'),
      });
      return { written, teachers };
    } finally {
      await writer.close();
    }
  });
  if (written.rows !== checked.rows || written.invalid !== checked.invalid.count) {
    throw changedDuringImport(`validation read ${checked.rows} rows (${checked.invalid.count} invalid), writing read ${written.rows} (${written.invalid} invalid)`);
  }

  const split = await recomputeSplit(db, phase.id);
  const changed = written.imported > 0 || written.predictions.some((n) => n > 0);
  const rebuild = changed ? await enqueueQueueRebuild(db, phase.id, options.by, { audit: false }) : null;
  await audit(db, options.by, 'phase.import', `phase:${phase.id}`, { file: options.source ?? options.path ?? null, imported: written.imported, invalid: checked.invalid.count, queueRebuildJob: rebuild?.id ?? null });
  const durationMs = performance.now() - started;
  return {
    phaseId: phase.id,
    rows: checked.rows,
    imported: written.imported,
    duplicates: written.duplicates,
    filtered: written.filtered,
    invalid: checked.invalid,
    teachers: teachers.map((t, k) => ({ ...t, predictions: written.predictions[k] })),
    split,
    durationMs: Math.round(durationMs),
    itemsPerSecond: written.imported / Math.max(durationMs / 1000, 1e-3),
    queueRebuild: rebuild ? { jobId: rebuild.id } : null,
  };
}

type Progress = (rows: number, bytes: number) => void;

interface Validation {
  rows: number;
  invalid: { count: number; errors: RowError[] };
  /** Teachers with at least one valid prediction, in order of first appearance. */
  teacherNames: string[];
}

/** Pass 1: every row parsed and checked; bad rows listed (up to maxErrors) and counted. */
async function validatePass(open: Opener, format: ImportFormat, rules: RowRules, maxErrors: number, progress: Progress): Promise<Validation> {
  const invalid = { count: 0, errors: [] as RowError[] };
  const teacherNames: string[] = [];
  const seen = new Set<string>();
  const { rows } = await readRows(open, format, rules, {
    row(r, line) {
      if (!r.ok) {
        invalid.count++;
        if (invalid.errors.length < maxErrors) invalid.errors.push({ line, reason: r.reason });
        return;
      }
      for (const p of r.row.predictions) {
        if (!seen.has(p.teacher)) {
          seen.add(p.teacher);
          teacherNames.push(p.teacher);
        }
      }
    },
    progress,
  });
  return { rows, invalid, teacherNames };
}

interface WriteSummary {
  rows: number;
  invalid: number;
  imported: number;
  duplicates: number;
  filtered: Record<NoiseReason, number>;
  /** Per teacher, in the order given. */
  predictions: number[];
}

interface WriteSettings {
  phaseId: number;
  minTextLength: number;
  firstOrdinal: number;
  teachers: readonly { id: number; name: string }[];
  batchSize: number;
  skipInvalid: boolean;
  writer: BatchWriter;
  progress: Progress;
}

/** Pass 2: rows read again, noise dropped, duplicates skipped, the rest written in batches. */
async function writePass(open: Opener, format: ImportFormat, rules: RowRules, s: WriteSettings): Promise<WriteSummary> {
  const known = new Set(s.teachers.map((t) => t.name));
  const out: WriteSummary = { rows: 0, invalid: 0, imported: 0, duplicates: 0, filtered: { empty: 0, symbols: 0, repeated: 0, tooShort: 0 }, predictions: s.teachers.map(() => 0) };
  let ordinal = s.firstOrdinal;
  let pending: PendingItem[] = [];
  // Hashes in `pending`: the database dedupes across batches (unique index), this within one,
  // so that a batch never carries the same hash twice.
  let pendingHashes = new Set<string>();

  // One batch may be in flight while the next is read: the writer (a thread of its own on
  // SQLite) writes it meanwhile. The next batch is handed over only once it has committed, so
  // batches commit in file order and the unique index sees each before the next.
  let inFlight: Promise<void> | null = null;
  const settle = async () => {
    const p = inFlight;
    inFlight = null;
    if (p) await p;
  };
  const flush = async (count: number) => {
    const batch = pending.slice(0, count);
    pending = pending.slice(count);
    pendingHashes = new Set(pending.map((p) => p.hash));
    await settle();
    const size = batch.length;
    inFlight = s.writer.write(s.phaseId, batch, s.teachers).then((result) => {
      out.imported += result.inserted;
      out.duplicates += size - result.inserted;
      result.predictions.forEach((n, k) => (out.predictions[k] += n));
    });
    // Awaited by the next flush or at the end; this only keeps an early failure from being
    // reported as unhandled meanwhile.
    inFlight.catch(() => {});
  };

  let rows: number;
  try {
    ({ rows } = await readRows(open, format, rules, {
      row(r, line) {
        if (!r.ok) {
          out.invalid++;
          // Validation found no bad row, yet here is one: stop before writing more of a different file.
          if (!s.skipInvalid) throw changedDuringImport(`line ${line} is now invalid: ${r.reason}`);
          return;
        }
        const row = r.row;
        for (const p of row.predictions) {
          if (!known.has(p.teacher)) throw changedDuringImport(`teacher "${p.teacher}" on line ${line} was not there in the validation pass`);
        }
        const normalized = normalizeText(row.text);
        const noise = noiseReason(normalized, s.minTextLength);
        if (noise) {
          out.filtered[noise]++;
          return;
        }
        const hash = textHash(normalized);
        if (pendingHashes.has(hash)) {
          out.duplicates++;
          return;
        }
        pendingHashes.add(hash);
        pending.push({ row, hash, ordinal: ordinal++ });
      },
      async afterChunk() {
        while (pending.length >= s.batchSize) await flush(s.batchSize);
      },
      progress: s.progress,
    }));
    if (pending.length) await flush(pending.length);
    await settle();
  } catch (e) {
    // The batch in flight finishes (or fails) before the error goes up and the writer closes.
    await (inFlight as Promise<void> | null)?.catch(() => {});
    throw e;
  }
  out.rows = rows;
  return out;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw notFound(`File ${path}`);
  }
}

function changedDuringImport(why: string) {
  return conflict(`the file changed while it was being imported (${why}); batches already written stay, re-run the import to finish`);
}

function resolveFormat(options: ImportOptions): ImportFormat {
  if (options.format) {
    if (options.format !== 'csv' && options.format !== 'jsonl') throw badRequest(`unknown format "${options.format}": use csv or jsonl`);
    return options.format;
  }
  if (!options.path) throw badRequest('format is required when importing from a stream');
  const ext = extname(options.path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw badRequest(`cannot tell the format of "${options.path}" from its extension: name it .csv, .jsonl or .ndjson, or pass format`);
}

type Opener = () => AsyncIterable<Uint8Array | string>;

function opener(options: ImportOptions): Opener {
  if (options.path && options.stream) throw badRequest('give either path or stream, not both');
  const path = options.path;
  if (path) return () => createReadStream(path, { highWaterMark: 1 << 20 });
  if (options.stream) return options.stream;
  throw badRequest('nothing to import: give path or stream');
}

function checkLabelMap(labelMap: Record<string, string> | undefined, labels: string[]): Record<string, string> {
  if (!labelMap) return {};
  const bad = Object.entries(labelMap).filter(([, to]) => !labels.includes(to));
  if (bad.length) {
    throw badRequest(`labelMap maps to labels the phase does not have: ${bad.map(([f, t]) => `${f} → ${t}`).join(', ')} (labels: ${labels.join(', ')})`);
  }
  return labelMap;
}

function checkColumns(columns: Partial<Record<ColumnRole, string>> | undefined): Partial<Record<ColumnRole, string>> {
  if (!columns) return {};
  const unknown = Object.keys(columns).filter((k) => !COLUMN_ROLES.includes(k as ColumnRole));
  if (unknown.length) throw badRequest(`columns: unknown role ${unknown.join(', ')} (roles: ${COLUMN_ROLES.join(', ')})`);
  for (const [role, name] of Object.entries(columns)) {
    if (typeof name !== 'string') throw badRequest(`columns.${role} must be a column name`);
  }
  return columns;
}

interface RowHandlers {
  /** Called for every data row, in file order. May throw to stop the import. */
  row(result: RowResult, line: number): void;
  /** Called after each chunk of the file: the place to write batches. */
  afterChunk?(rows: number, bytes: number): Promise<void>;
  progress?(rows: number, bytes: number): void;
}

/** Reads the whole source once, handing each row (valid or not) to the handlers. */
async function readRows(open: Opener, format: ImportFormat, rules: RowRules, on: RowHandlers): Promise<{ rows: number; bytes: number }> {
  let rows = 0;
  let headerError: RowError | null = null;
  let sawHeader = false;
  let sink: (text: string, line: number, problem: LineProblem) => void;
  let csv: CsvReader | null = null;
  if (format === 'csv') {
    let plan: Extract<ReturnType<typeof planCsv>, { ok: true }>['plan'] | null = null;
    csv = new CsvReader({
      header(fields, line) {
        sawHeader = true;
        const p = planCsv(fields, rules);
        if (p.ok) plan = p.plan;
        else headerError = { line, reason: p.reason };
      },
      record(fields, line) {
        rows++;
        on.row(csvRow(fields, line, plan!, rules), line);
      },
      error(line, reason) {
        if (!sawHeader) {
          sawHeader = true;
          headerError = { line, reason: `header: ${reason}` };
          return;
        }
        rows++;
        on.row({ ok: false, reason }, line);
      },
    });
    const reader = csv;
    sink = (text, line, problem) => {
      if (!headerError) reader.pushLine(text, line, problem);
    };
  } else {
    sink = (text, line, problem) => {
      if (problem === 'tooLong') {
        rows++;
        on.row({ ok: false, reason: 'line is too long' }, line);
        return;
      }
      if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) return;
      rows++;
      on.row(problem === 'utf8' ? { ok: false, reason: 'invalid UTF-8' } : jsonlRow(text, line, rules), line);
    };
  }
  const splitter = new LineSplitter(sink);
  const failHeader = () => {
    if (headerError) throw unprocessable(`the CSV header is not usable: ${headerError.reason}`, { rows: 0, invalid: { count: 1, errors: [headerError] } });
  };
  for await (const chunk of open()) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    failHeader();
    await on.afterChunk?.(rows, splitter.bytes);
    on.progress?.(rows, splitter.bytes);
  }
  splitter.end();
  csv?.end();
  failHeader();
  if (format === 'csv' && !sawHeader) throw unprocessable('the file is empty: a CSV file needs a header row with a "text" column', { rows: 0, invalid: { count: 1, errors: [{ line: 1, reason: 'no header row' }] } });
  await on.afterChunk?.(rows, splitter.bytes);
  on.progress?.(rows, splitter.bytes);
  return { rows, bytes: splitter.bytes };
}

export type { ImportRow };
