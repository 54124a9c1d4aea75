import { NextRequest } from 'next/server';

export type RouteHandler = (req: NextRequest, ctx: { params: Promise<any> }) => Promise<Response>;

/**
 * Calls a route handler as Next would: a request with a Bearer token (or none) and JSON body,
 * the path parameters, and the answer's status and parsed body.
 */
export async function callRoute(handler: RouteHandler, url: string, init: { token?: string; method?: string; body?: unknown; params?: Record<string, string> } = {}) {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text() };
}
