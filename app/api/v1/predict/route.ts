import { jsonBody, route } from '@/lib/http/route.ts';
import { predictCaller } from '@/lib/serving/access.ts';
import { resolvePhaseRef } from '@/lib/serving/phases.ts';
import { predictService } from '@/lib/serving/predict.ts';
import { multiPredictRequestSchema } from '@/lib/serving/schemas.ts';

// POST /api/v1/predict { phases: ["cold/offensive", …], texts, priority? } – several phases' live models at once
export const POST = route({ role: 'annotator', scope: 'predict' }, async ({ req, db, user }) => {
  predictCaller(user);
  const { phases, texts, priority } = multiPredictRequestSchema.parse(await jsonBody(req));
  const service = predictService(db);
  const ids = await Promise.all(phases.map((p) => resolvePhaseRef(db, p)));
  const answers = await Promise.all(ids.map((id) => service.predict(id, texts, { lane: priority })));
  return { results: Object.fromEntries(phases.map((p, i) => [p, answers[i]])) };
});
