import { endpointRoute } from '@/lib/http/route.ts';
import { multiPredictEndpoint } from '@/lib/serving/handlers.ts';

// POST /api/v1/predict { phases: ["cold/offensive", …], texts, priority? } – several phases' live models at once
// (also answered by the console server's fast path, lib/http/fast.ts)
export const POST = endpointRoute(multiPredictEndpoint);
