import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { rollback } from '@/lib/models/deploy.ts';
import { reviewSchema } from '@/lib/models/schemas.ts';

// POST /api/phases/:id/rollback { note? } – back to the previously deployed model, in one click
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const { note } = reviewSchema.parse(await jsonBody(req));
  return rollback(db, { phaseId: intParam(params.id, 'phase id'), actor: user, note });
});
