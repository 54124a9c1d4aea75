import { z } from 'zod';
import { intParam, jsonBody, MAX_ID, route } from '@/lib/http/route.ts';
import { submit } from '@/lib/queue/annotate.ts';

const body = z.object({
  itemId: z.number().int().positive().max(MAX_ID),
  clientId: z.string().min(1).max(200),
  action: z.enum(['label', 'skip', 'flag']),
  label: z.string().nullable().optional(),
  shown: z.unknown().optional(),
});

export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, user, params }) => {
  const b = body.parse(await jsonBody(req));
  return submit(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, ...b });
});
