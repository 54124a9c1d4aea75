import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { deploymentHistory, stopDeployment } from '@/lib/models/deploy.ts';
import { stopSchema } from '@/lib/models/schemas.ts';
import { predictService } from '@/lib/serving/predict.ts';

// GET /api/phases/:id/deployments – what serves the phase (live, canary with agreement, shadow with flip rate) and the history
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => {
  const phaseId = intParam(params.id, 'phase id');
  return { serving: await predictService(db).status(phaseId), history: await deploymentHistory(db, phaseId) };
});

// DELETE /api/phases/:id/deployments { kind: canary|shadow } – stop the canary or the shadow
export const DELETE = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const { kind, note } = stopSchema.parse(await jsonBody(req));
  return stopDeployment(db, { phaseId: intParam(params.id, 'phase id'), kind, actor: user, note });
});
