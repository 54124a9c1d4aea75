import { jsonBody, route } from '@/lib/http/route.ts';
import { predictPhases } from '@/lib/serving/handlers.ts';

// POST /api/v1/predict { phases: ["cold/offensive", …], texts, priority? } – several phases' live models at once
// (Bearer-token calls are answered by the console server's fast path, lib/serving/http.ts, with the same function)
export const POST = route({ role: 'annotator', scope: 'predict' }, async ({ req, db, user }) => predictPhases(db, user, await jsonBody(req)));
