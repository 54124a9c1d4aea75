import { z } from 'zod';
import { intParam, jsonBody, MAX_ID, route } from '@/lib/http/route.ts';
import { adjudicate } from '@/lib/queue/agreement.ts';

const body = z.object({ itemId: z.number().int().positive().max(MAX_ID), label: z.string().min(1) });

export const POST = route<{ id: string }>({ role: 'lead' }, async ({ req, db, user, params }) => {
  const b = body.parse(await jsonBody(req));
  const phaseId = intParam(params.id, 'phase id');
  return adjudicate(db, { phaseId, itemId: b.itemId, label: b.label, userId: user.id });
});
