import { intParam, route } from '@/lib/http/route.ts';
import { compareQuerySchema, compareRounds } from '@/lib/rounds/compare.ts';

// GET /api/phases/:id/rounds/compare?a=&b=&limit= – two rounds side by side: metrics, agreement, paired gain, the items whose prediction changed
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  const query = compareQuerySchema.parse(Object.fromEntries(req.nextUrl.searchParams));
  return compareRounds(db, { phaseId, ...query });
});
