import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { submit } from '@/lib/queue/annotate.ts';
import { submitSchema } from '@/lib/queue/schemas.ts';

// POST /api/phases/:id/annotations – answer an item (label, skip, flag with an optional note); idempotent by clientId
export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const b = submitSchema.parse(await jsonBody(req));
  return submit(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, ...b });
});
