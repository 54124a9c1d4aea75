import { intParam, route } from '@/lib/http/route.ts';
import { rebuildQueue } from '@/lib/queue/rebuild.ts';
import { audit } from '@/lib/audit.ts';

export const POST = route<{ id: string }>({ role: 'lead' }, async ({ db, user, params }) => {
  const rebuilt = await rebuildQueue(db, intParam(params.id, 'phase id'));
  await audit(db, user.id, 'queue.rebuild', `phase:${rebuilt.phaseId}`, { queued: rebuilt.queued, modelId: rebuilt.modelId });
  return { rebuilt };
});
