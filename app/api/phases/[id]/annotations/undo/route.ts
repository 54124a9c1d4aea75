import { intParam, route } from '@/lib/http/route.ts';
import { undo } from '@/lib/queue/annotate.ts';

export const POST = route<{ id: string }>({ role: 'annotator' }, async ({ db, user, params }) => undo(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id }));
