import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { deployModel } from '@/lib/models/deploy.ts';
import { deploySchema } from '@/lib/models/schemas.ts';
import { measureThroughput } from '@/lib/serving/throughput.ts';

// POST /api/models/:id/deploy { note?, kind?: live|canary|shadow, share? } – switch the phase's live model (or start a canary/shadow)
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const body = deploySchema.parse(await jsonBody(req));
  const out = await deployModel(db, { modelId: intParam(params.id, 'model id'), actor: user, ...body });
  // The throughput card is measured on every deploy, after the answer (it takes a few seconds).
  void measureThroughput(db, out.modelId).catch((e) => console.error(`throughput of model ${out.modelId}:`, e));
  return out;
});
