import { badRequest } from '@/lib/errors.ts';
import { payloadTooLarge } from '@/lib/http/body.ts';
import { errorResponse, intParam, route } from '@/lib/http/route.ts';
import { EMPTY_UPLOAD, importMaxBytes, importUpload, parseImportQuery } from '@/lib/import/upload.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';

/**
 * Uploads a CSV/JSONL file (the raw request body) into a phase.
 * - With `Accept: application/x-ndjson` (the console's import form) the answer is NDJSON:
 *   progress lines while the file is validated and written, then one `{"type":"done","report":…}`
 *   or `{"type":"error","status":…}` line. The HTTP status is 200 once the stream has started;
 *   the last line says how it ended.
 * - Otherwise (curl, scripts) it is one JSON answer with the real status: 200 and the report, or
 *   the error's 4xx (422 invalid rows, 413 too large, 409 …), so `curl -f` fails on a failed import.
 * Errors found before the file is read (unknown phase, bad query, a Content-Length over the cap)
 * are a 4xx in both cases.
 */
export const POST = route<{ id: string }>({ role: 'lead', rawBody: true }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  await getPhase(db, phaseId);
  const options = parseImportQuery(req.nextUrl.searchParams);
  const maxBytes = importMaxBytes();
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw payloadTooLarge(maxBytes);
  if (!req.body) throw badRequest(EMPTY_UPLOAD);
  const body = req.body;
  // importUpload writes the audit row (the CLI's import writes the same one).
  const run = (onProgress?: (p: object) => void) => importUpload(db, phaseId, body, { ...options, maxBytes }, onProgress, user.id);
  if (!(req.headers.get('accept') ?? '').includes('application/x-ndjson')) return { report: await run() };
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (obj: unknown) => controller.enqueue(encoder.encode(JSON.stringify(obj) + '\n'));
      try {
        send({ type: 'done', report: await run((p) => send({ type: 'progress', ...p })) });
      } catch (e) {
        const res = errorResponse(e);
        send({ type: 'error', status: res.status, ...(await res.json()) });
      } finally {
        controller.close();
      }
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
});
