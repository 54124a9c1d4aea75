import { endpointRoute } from '@/lib/http/route.ts';
import { nextBatchEndpoint } from '@/lib/queue/endpoints.ts';

// GET /api/phases/:id/queue/next?limit= (also answered by the console server's fast path, lib/http/fast.ts)
export const GET = endpointRoute(nextBatchEndpoint);
