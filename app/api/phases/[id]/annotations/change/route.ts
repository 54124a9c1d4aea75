import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { changeAnswer } from '@/lib/queue/change-answer.ts';
import { changeAnswerSchema } from '@/lib/queue/schemas.ts';

// POST /api/phases/:id/annotations/change – change one of your answers (label, action, note) from the revision you saw; a retry is a no-op, a stale change 409
export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const b = changeAnswerSchema.parse(await jsonBody(req));
  return changeAnswer(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, ...b });
});
