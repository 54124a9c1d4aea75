import { hasRole } from '@/lib/auth/roles.ts';
import { intParam, route } from '@/lib/http/route.ts';
import { queueStatus } from '@/lib/queue/queue-status.ts';

// GET /api/phases/:id/queue/status – the queue as you see it and, when it has nothing for you, why (for leads: what fills it)
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, user, params }) =>
  queueStatus(db, { phaseId: intParam(params.id, 'phase id'), userId: user.id, lead: hasRole(user.role, 'lead') }),
);
