import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { dataDir } from '../config/env.ts';
import type { Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { importFile, type ImportProgress, type ImportReport } from './importer.ts';
import type { Actor } from '../audit.ts';
import { payloadTooLarge } from '../http/body.ts';

/** The largest upload accepted (bytes), DISTILLERY_IMPORT_MAX_BYTES; default 2 GiB. */
export function importMaxBytes(): number {
  const v = Number(process.env.DISTILLERY_IMPORT_MAX_BYTES);
  return Number.isFinite(v) && v > 0 ? v : 2 * 1024 ** 3;
}

/** Passes bytes through until `limit`, then fails with 413 (the rest of the upload is never read). */
const byteLimit = (limit: number) => {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(payloadTooLarge(limit));
      else done(null, chunk);
    },
  });
};

const jsonRecord = (what: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined;
      try {
        const v = JSON.parse(s);
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) return v as Record<string, string>;
      } catch {}
      ctx.addIssue({ code: 'custom', message: `${what} must be a JSON object of strings` });
      return z.NEVER;
    });

const querySchema = z.object({
  filename: z.string().max(255).default('upload'),
  format: z.enum(['csv', 'jsonl']).optional(),
  skipInvalid: z.enum(['1', 'true', '0', 'false']).optional().transform((v) => v === '1' || v === 'true'),
  columns: jsonRecord('columns'),
  labelMap: jsonRecord('labelMap'),
});
export type UploadOptions = z.output<typeof querySchema> & { maxBytes?: number };

export const EMPTY_UPLOAD = 'the upload is empty: send the file (CSV with a header row, or JSONL) as the request body';

export function parseImportQuery(q: URLSearchParams): UploadOptions {
  return querySchema.parse(Object.fromEntries(q.entries()));
}

/**
 * Saves an uploaded body to the data folder (the importer reads the file twice: validate,
 * then write) and imports it; the upload is deleted afterwards whatever happens.
 */
export async function importUpload(
  db: Db,
  phaseId: number,
  body: ReadableStream<Uint8Array>,
  options: UploadOptions,
  onProgress?: (p: ImportProgress) => void,
  by: Actor = null,
): Promise<ImportReport> {
  const dir = join(dataDir(), 'uploads');
  mkdirSync(dir, { recursive: true });
  const safeName = options.filename.replace(/[^\w.-]+/g, '_').slice(-100);
  const path = join(dir, `${Date.now()}-${randomBytes(4).toString('hex')}-${safeName}`);
  try {
    await pipeline(Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>), byteLimit(options.maxBytes ?? importMaxBytes()), createWriteStream(path));
    if (statSync(path).size === 0) throw badRequest(EMPTY_UPLOAD);
    const format = options.format ?? (/\.(jsonl|ndjson)$/i.test(safeName) ? 'jsonl' : /\.csv$/i.test(safeName) ? 'csv' : undefined);
    if (!format) throw badRequest(`cannot tell the format of "${options.filename}": name it .csv or .jsonl, or pass format=csv|jsonl`);
    return await importFile(db, { phaseId, path, format, skipInvalid: options.skipInvalid, columns: options.columns, labelMap: options.labelMap, onProgress, by, source: options.filename });
  } finally {
    rmSync(path, { force: true });
  }
}
