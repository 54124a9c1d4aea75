import { errorResponse, intParam, route } from '@/lib/http/route.ts';
import { EMPTY_UPLOAD, importUpload, parseImportQuery } from '@/lib/import/upload.ts';
import { badRequest } from '@/lib/errors.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';

/**
 * Uploads a CSV/JSONL file (the raw request body) into a phase. The answer is NDJSON: progress
 * lines while the file is validated and written, then one `{"type":"done","report":…}` or
 * `{"type":"error",…}` line, so the UI can show progress for large files.
 */
export const POST = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  await getPhase(db, phaseId);
  const options = parseImportQuery(req.nextUrl.searchParams);
  if (!req.body) throw badRequest(EMPTY_UPLOAD);
  const encoder = new TextEncoder();
  const body = req.body;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (obj: unknown) => controller.enqueue(encoder.encode(JSON.stringify(obj) + '\n'));
      try {
        const report = await importUpload(db, phaseId, body, options, (p) => send({ type: 'progress', ...p }), user.id);
        send({ type: 'done', report });
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
