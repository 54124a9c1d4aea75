import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { undo } from '@/lib/queue/annotate.ts';
import { undoSchema } from '@/lib/queue/schemas.ts';

// POST /api/phases/:id/annotations/undo – take back an answer (the named one, else the last); a retry with the same opId undoes nothing more
export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const { opId, answerClientId } = undoSchema.parse(await jsonBody(req));
  return undo(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, opId, answerClientId });
});
