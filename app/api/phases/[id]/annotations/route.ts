import { endpointRoute } from '@/lib/http/route.ts';
import { submitEndpoint } from '@/lib/queue/endpoints.ts';

// POST /api/phases/:id/annotations – answer an item (label, skip, flag with an optional note); idempotent by clientId
// (also answered by the console server's fast path, lib/http/fast.ts)
export const POST = endpointRoute(submitEndpoint);
