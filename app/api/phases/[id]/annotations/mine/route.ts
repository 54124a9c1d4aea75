import { intParam, route } from '@/lib/http/route.ts';
import { myCounts } from '@/lib/queue/annotate.ts';

export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, user, params }) => myCounts(db, intParam(params.id, 'phase id'), user.id));
