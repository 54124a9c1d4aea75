import { intParam, route } from '@/lib/http/route.ts';
import { getRound } from '@/lib/rounds/rounds.ts';

export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => ({ round: await getRound(db, intParam(params.id, 'round id')) }));
