import { intParam, route } from '@/lib/http/route.ts';
import { getModelOrThrow, modelFile, modelHistory } from '@/lib/models/registry.ts';

// GET /api/models/:id – one student with its model card and its history (approve, deploy, …)
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => {
  const model = await getModelOrThrow(db, intParam(params.id, 'model id'));
  const card = await modelFile(db, model, 'model-card.md').then((b) => b.toString('utf8')).catch(() => null);
  return { model, card, history: await modelHistory(db, model.id) };
});
