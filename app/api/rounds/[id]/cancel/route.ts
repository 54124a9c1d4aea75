import { intParam, route } from '@/lib/http/route.ts';
import { cancelRound } from '@/lib/rounds/rounds.ts';

export const POST = route<{ id: string }>({ role: 'lead' }, async ({ db, user, params }) => {
  const round = await cancelRound(db, intParam(params.id, 'round id'), user.id);
  return { round };
});
