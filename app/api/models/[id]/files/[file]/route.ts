import { notFound } from '@/lib/errors.ts';
import { intParam, route } from '@/lib/http/route.ts';
import { getModelOrThrow, modelFile } from '@/lib/models/registry.ts';

const TYPES = { 'student.onnx': 'application/octet-stream', 'vocab.json': 'application/json', 'config.json': 'application/json', 'model-card.md': 'text/markdown; charset=utf-8' } as const;

// GET /api/models/:id/files/:file – one artifact (student.onnx, vocab.json, config.json, model-card.md); the try-it page runs student.onnx in the browser
export const GET = route<{ id: string; file: string }>({ role: 'lead', scope: 'read' }, async ({ db, params }) => {
  if (!(params.file in TYPES)) throw notFound(`file ${params.file}`);
  const file = params.file as keyof typeof TYPES;
  const model = await getModelOrThrow(db, intParam(params.id, 'model id'));
  const data = await modelFile(db, model, file);
  return new Response(new Uint8Array(data), { headers: { 'content-type': TYPES[file], 'cache-control': 'private, max-age=3600' } });
});
