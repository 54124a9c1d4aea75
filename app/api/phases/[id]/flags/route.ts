import { intParam, route } from '@/lib/http/route.ts';
import { listFlags } from '@/lib/queue/flags.ts';
import { flagsQuerySchema, queryOf } from '@/lib/queue/schemas.ts';

// GET /api/phases/:id/flags?status=open|resolved|all&limit= – flagged items with the annotators' notes
export const GET = route<{ id: string }>({ role: 'lead' }, async ({ req, db, params }) => {
  const q = flagsQuerySchema.parse(queryOf(req.nextUrl));
  return listFlags(db, { phaseId: intParam(params.id, 'phase id'), ...q });
});
