import { intParam, route } from '@/lib/http/route.ts';
import { modelArchive } from '@/lib/models/archive.ts';

// GET /api/models/:id/download – model.onnx, vocab.json, config.json, tokenizer.json, model card, Node and Python examples (.tar.gz)
export const GET = route<{ id: string }>({ role: 'lead', scope: 'read' }, async ({ db, params }) => {
  const { filename, data } = await modelArchive(db, intParam(params.id, 'model id'));
  return new Response(new Uint8Array(data), { headers: { 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="${filename}"` } });
});
