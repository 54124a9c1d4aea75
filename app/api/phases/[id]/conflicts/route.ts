import { intParam, route } from '@/lib/http/route.ts';
import { conflicts } from '@/lib/queue/agreement.ts';

export const GET = route<{ id: string }>({ role: 'lead' }, async ({ db, params }) => conflicts(db, intParam(params.id, 'phase id')));
