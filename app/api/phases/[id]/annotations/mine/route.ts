import { intParam, route } from '@/lib/http/route.ts';
import { myCounts } from '@/lib/queue/annotate.ts';
import { queryOf, tzQuerySchema } from '@/lib/queue/schemas.ts';

// GET /api/phases/:id/annotations/mine?tzOffset= – your counts: this session, today (your time zone), in all
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const { tzOffset } = tzQuerySchema.parse(queryOf(req.nextUrl));
  return myCounts(db, intParam(params.id, 'phase id'), user.id, { tzOffset });
});
