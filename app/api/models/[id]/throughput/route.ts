import { intParam, route } from '@/lib/http/route.ts';
import { measureThroughput } from '@/lib/serving/throughput.ts';

// POST /api/models/:id/throughput – measure the throughput card now (items/s at batch 1/32/256, p50/p99)
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ db, params }) => measureThroughput(db, intParam(params.id, 'model id')));
