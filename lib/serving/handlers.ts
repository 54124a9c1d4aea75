import type { AuthUser } from '../auth/users.ts';
import type { Db } from '../db/client.ts';
import { endpoint } from '../http/endpoint.ts';
import { intParam } from '../http/route.ts';
import { predictCaller } from './access.ts';
import { resolvePhaseRef } from './phases.ts';
import { predictService, type PhasePredictions } from './predict.ts';
import { multiPredictRequestSchema, predictRequestSchema } from './schemas.ts';

/**
 * The two predict endpoints after authentication, shared by their Next route handlers and the
 * console server's fast path (lib/http/fast.ts), so both answer the same.
 */
export async function predictPhase(db: Db, user: AuthUser, phaseId: number, body: unknown): Promise<PhasePredictions> {
  predictCaller(user);
  const { texts, priority } = predictRequestSchema.parse(body);
  return predictService(db).predict(phaseId, texts, { lane: priority });
}

export async function predictPhases(db: Db, user: AuthUser, body: unknown): Promise<{ results: Record<string, PhasePredictions> }> {
  predictCaller(user);
  const { phases, texts, priority } = multiPredictRequestSchema.parse(body);
  const service = predictService(db);
  const ids = await Promise.all(phases.map((p) => resolvePhaseRef(db, p)));
  const answers = await Promise.all(ids.map((id) => service.predict(id, texts, { lane: priority })));
  return { results: Object.fromEntries(phases.map((p, i) => [p, answers[i]])) };
}

// POST /api/v1/phases/:id/predict { texts, priority? } – label, probabilities and model version per text
export const phasePredictEndpoint = endpoint({ role: 'annotator', scope: 'predict' }, async ({ db, user, params, body }) =>
  predictPhase(db, user, intParam(params.id, 'phase id'), await body()),
);

// POST /api/v1/predict { phases: ["cold/offensive", …], texts, priority? } – several phases' live models at once
export const multiPredictEndpoint = endpoint({ role: 'annotator', scope: 'predict' }, async ({ db, user, body }) => predictPhases(db, user, await body()));
