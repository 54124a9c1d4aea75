import { route } from '@/lib/http/route.ts';
import { listModels } from '@/lib/models/registry.ts';

// GET /api/models?phaseId= – the registry: every student with status, metrics and where it serves
export const GET = route({ role: 'annotator' }, async ({ req, db }) => {
  const phaseId = Number(req.nextUrl.searchParams.get('phaseId')) || undefined;
  return { models: await listModels(db, { phaseId }) };
});
