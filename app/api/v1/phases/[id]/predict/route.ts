import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { predictPhase } from '@/lib/serving/handlers.ts';

// POST /api/v1/phases/:id/predict { texts, priority? } – label, probabilities and model version per text
// (Bearer-token calls are answered by the console server's fast path, lib/serving/http.ts, with the same function)
export const POST = route<{ id: string }>({ role: 'annotator', scope: 'predict' }, async ({ req, db, user, params }) =>
  predictPhase(db, user, intParam(params.id, 'phase id'), await jsonBody(req)),
);
