import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { resolveFlag } from '@/lib/queue/flags.ts';
import { resolveFlagSchema } from '@/lib/queue/schemas.ts';

// POST /api/phases/:id/flags/:itemId – act on an item's open flags: { action: label, label } | { action: requeue } | { action: dismiss }
export const POST = route<{ id: string; itemId: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const b = resolveFlagSchema.parse(await jsonBody(req));
  return resolveFlag(db, { phaseId: intParam(params.id, 'phase id'), itemId: intParam(params.itemId, 'item id'), action: b.action, label: b.label, userId: user.id });
});
