import { z } from 'zod';
import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { undo } from '@/lib/queue/annotate.ts';

/** Body (optional): { opId } — the client's id for this undo; a retry with the same id undoes nothing more. */
const body = z.object({ opId: z.string().min(1).max(200).optional() });

export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const { opId } = body.parse(await jsonBody(req));
  return undo(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, opId });
});
