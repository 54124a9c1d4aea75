import { intParam, route } from '@/lib/http/route.ts';
import { exportFormat, exportResponse } from '@/lib/queue/export.ts';
import { queuePhase } from '@/lib/queue/annotate.ts';

export const GET = route<{ id: string }>({ role: 'lead' }, async ({ req, db, params }) => {
  const phase = await queuePhase(db, intParam(params.id, 'phase id'));
  return exportResponse(db, phase.id, exportFormat(req.nextUrl.searchParams.get('format')));
});
