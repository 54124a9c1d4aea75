import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { promoteCanary } from '@/lib/models/deploy.ts';
import { reviewSchema } from '@/lib/models/schemas.ts';

// POST /api/phases/:id/promote { note? } – the canary becomes the live model
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const { note } = reviewSchema.parse(await jsonBody(req));
  return promoteCanary(db, { phaseId: intParam(params.id, 'phase id'), actor: user, note });
});
