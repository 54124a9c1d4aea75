import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { listRounds, startRound } from '@/lib/rounds/rounds.ts';

export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => ({ rounds: await listRounds(db, intParam(params.id, 'phase id')) }));

/** Starts a retraining round; body: the round config ({ model, train, humanWeight, sampling, … }). */
export const POST = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  const round = await startRound(db, { phaseId, config: await jsonBody(req), userId: user.id });
  return Response.json({ round }, { status: 201 });
});
