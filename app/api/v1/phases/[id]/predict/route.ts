import { endpointRoute } from '@/lib/http/route.ts';
import { phasePredictEndpoint } from '@/lib/serving/handlers.ts';

// POST /api/v1/phases/:id/predict { texts, priority? } – label, probabilities and model version per text
// (also answered by the console server's fast path, lib/http/fast.ts)
export const POST = endpointRoute(phasePredictEndpoint);
