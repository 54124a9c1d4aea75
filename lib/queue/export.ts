/**
 * Export of a phase's human answers: every non-undone annotation with its item, annotator, time,
 * the distributions the annotator was shown, and the item's final human label. Streamed in
 * pages by annotation id so a phase with millions of answers never sits in memory.
 */
import type { Db } from '../db/client.ts';
import { badRequest, notFound } from '../errors.ts';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const PAGE = 1000;
const COLUMNS = ['annotationId', 'itemId', 'externalId', 'text', 'action', 'label', 'note', 'annotator', 'createdAt', 'shown', 'finalLabel', 'finalSource'] as const;
type Row = Record<(typeof COLUMNS)[number], string | number | null | unknown>;

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or
 * CR) gets a leading apostrophe (OWASP's advice), so opening the export never evaluates it; the
 * JSONL export keeps texts exactly as stored.
 */
export function csvField(v: unknown): string {
  if (v == null) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function exportFormat(raw: string | null | undefined): ExportFormat {
  const f = (raw ?? 'csv').toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw badRequest(`format must be csv or jsonl, got "${raw}"`);
  return f as ExportFormat;
}

export async function* exportLabels(db: Db, phaseId: number, format: ExportFormat): AsyncGenerator<string> {
  if (!(await db.phase.findUnique({ where: { id: phaseId }, select: { id: true } }))) throw notFound(`phase ${phaseId}`);
  if (format === 'csv') yield COLUMNS.join(',') + '\n';
  const emails = new Map<number, string>();
  let after = 0;
  for (;;) {
    const page = await db.annotation.findMany({ where: { phaseId, undoneAt: null, id: { gt: after } }, orderBy: { id: 'asc' }, take: PAGE });
    if (!page.length) return;
    after = page[page.length - 1].id;
    const itemIds = [...new Set(page.map((a) => a.itemId))];
    const missing = [...new Set(page.map((a) => a.userId))].filter((u) => !emails.has(u));
    const [items, finals, users] = await Promise.all([
      db.item.findMany({ where: { id: { in: itemIds } }, select: { id: true, externalId: true, text: true } }),
      db.humanLabel.findMany({ where: { phaseId, itemId: { in: itemIds } }, select: { itemId: true, label: true, source: true } }),
      missing.length ? db.user.findMany({ where: { id: { in: missing } }, select: { id: true, email: true } }) : Promise.resolve([]),
    ]);
    for (const u of users) emails.set(u.id, u.email);
    const item = new Map(items.map((i) => [i.id, i]));
    const final = new Map(finals.map((f) => [f.itemId, f]));
    let out = '';
    for (const a of page) {
      const row: Row = {
        annotationId: a.id,
        itemId: a.itemId,
        externalId: item.get(a.itemId)?.externalId ?? null,
        text: item.get(a.itemId)?.text ?? null,
        action: a.action,
        label: a.label,
        note: a.note,
        annotator: emails.get(a.userId) ?? null,
        createdAt: a.createdAt.toISOString(),
        shown: a.shown ? (JSON.parse(a.shown) as unknown) : null,
        finalLabel: final.get(a.itemId)?.label ?? null,
        finalSource: final.get(a.itemId)?.source ?? null,
      };
      out += format === 'csv' ? COLUMNS.map((c) => csvField(row[c])).join(',') + '\n' : JSON.stringify(row) + '\n';
    }
    yield out;
  }
}

/** The export as a download: a streamed body with a file name. */
export function exportResponse(db: Db, phaseId: number, format: ExportFormat): Response {
  const gen = exportLabels(db, phaseId, format);
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await gen.next();
      if (done) controller.close();
      else controller.enqueue(enc.encode(value));
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="phase-${phaseId}-labels.${format}"`,
      'cache-control': 'no-store',
    },
  });
}
