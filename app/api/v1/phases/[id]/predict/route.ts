import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { predictCaller } from '@/lib/serving/access.ts';
import { predictService } from '@/lib/serving/predict.ts';
import { predictRequestSchema } from '@/lib/serving/schemas.ts';

// POST /api/v1/phases/:id/predict { texts, priority? } – label, probabilities and model version per text
export const POST = route<{ id: string }>({ role: 'annotator', scope: 'predict' }, async ({ req, db, user, params }) => {
  predictCaller(user);
  const { texts, priority } = predictRequestSchema.parse(await jsonBody(req));
  return predictService(db).predict(intParam(params.id, 'phase id'), texts, { lane: priority });
});
