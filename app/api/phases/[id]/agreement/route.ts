import { intParam, route } from '@/lib/http/route.ts';
import { agreement } from '@/lib/queue/agreement.ts';

export const GET = route<{ id: string }>({ role: 'lead' }, async ({ db, params }) => agreement(db, intParam(params.id, 'phase id')));
