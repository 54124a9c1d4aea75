import { intParam, route } from '@/lib/http/route.ts';
import { nextItems } from '@/lib/queue/annotate.ts';

export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const limit = req.nextUrl.searchParams.get('limit');
  return nextItems(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, limit: limit ? intParam(limit, 'limit') : undefined });
});
