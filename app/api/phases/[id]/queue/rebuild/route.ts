import { intParam, route } from '@/lib/http/route.ts';
import { rebuildQueue } from '@/lib/queue/rebuild.ts';

export const POST = route<{ id: string }>({ role: 'lead' }, async ({ db, user, params }) => {
  const rebuilt = await rebuildQueue(db, intParam(params.id, 'phase id'), user.id);
  return { rebuilt };
});
