import { z } from 'zod';
import { intParam, jsonBody, MAX_ID, route } from '@/lib/http/route.ts';
import { adjudicate } from '@/lib/queue/agreement.ts';
import { audit } from '@/lib/audit.ts';

const body = z.object({ itemId: z.number().int().positive().max(MAX_ID), label: z.string().min(1) });

export const POST = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const b = body.parse(await jsonBody(req));
  const phaseId = intParam(params.id, 'phase id');
  const out = await adjudicate(db, { phaseId, itemId: b.itemId, label: b.label, userId: user.id });
  await audit(db, user.id, 'label.adjudicate', `phase:${phaseId}/item:${b.itemId}`, { label: b.label });
  return out;
});
