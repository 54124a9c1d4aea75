import { intParam, route } from '@/lib/http/route.ts';
import { phaseDashboard } from '@/lib/rounds/dashboard.ts';

// GET /api/phases/:id/dashboard – every round's row, return on labels and the stopping signal, disagreement histogram, labels per round and annotator
export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ db, params }) => phaseDashboard(db, intParam(params.id, 'phase id')));
