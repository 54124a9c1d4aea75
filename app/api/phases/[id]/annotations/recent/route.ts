import { intParam, route } from '@/lib/http/route.ts';
import { recentAnswers } from '@/lib/queue/recent-answers.ts';
import { queryOf, recentQuerySchema } from '@/lib/queue/schemas.ts';

// GET /api/phases/:id/annotations/recent?limit= – your last answers that stand, newest first, with item text and revision
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const { limit } = recentQuerySchema.parse(queryOf(req.nextUrl));
  return { answers: await recentAnswers(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, limit }) };
});
