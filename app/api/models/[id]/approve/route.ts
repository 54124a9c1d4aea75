import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { approveModel } from '@/lib/models/deploy.ts';
import { reviewSchema } from '@/lib/models/schemas.ts';

// POST /api/models/:id/approve { note? } – leads only; audit-logged with who, when and the note
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const { note } = reviewSchema.parse(await jsonBody(req));
  return approveModel(db, { modelId: intParam(params.id, 'model id'), actor: user, note });
});
