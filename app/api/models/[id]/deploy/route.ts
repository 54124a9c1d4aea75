import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { deployModel } from '@/lib/models/deploy.ts';
import { deploySchema } from '@/lib/models/schemas.ts';

// POST /api/models/:id/deploy { note?, kind?: live|canary|shadow, share? } – switch the phase's live model (or start a canary/shadow)
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const body = deploySchema.parse(await jsonBody(req));
  return deployModel(db, { modelId: intParam(params.id, 'model id'), actor: user, ...body });
});
