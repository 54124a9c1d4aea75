import { intParam, route } from '@/lib/http/route.ts';
import { queuePhase } from '@/lib/queue/annotate.ts';
import { annotatorCounts } from '@/lib/queue/annotators.ts';
import { queryOf, tzQuerySchema } from '@/lib/queue/schemas.ts';

// GET /api/phases/:id/annotators?tzOffset= – every annotator of the phase with their counts
export const GET = route<{ id: string }>({ role: 'lead' }, async ({ req, db, params }) => {
  const { tzOffset } = tzQuerySchema.parse(queryOf(req.nextUrl));
  const phaseId = (await queuePhase(db, intParam(params.id, 'phase id'))).id;
  return { annotators: await annotatorCounts(db, phaseId, { tzOffset }) };
});
