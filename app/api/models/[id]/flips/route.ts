import { intParam, route } from '@/lib/http/route.ts';
import { flipSet } from '@/lib/models/flips.ts';

// GET /api/models/:id/flips – where the candidate disagrees with the deployed student (test slice + pool sample)
export const GET = route<{ id: string }>({ role: 'lead' }, async ({ db, params }) => flipSet(db, intParam(params.id, 'model id')));
