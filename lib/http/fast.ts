/**
 * The console server's fast path (server.ts): the hot endpoints answered on node:http directly,
 * without Next's routing, web-stream request/response objects and async bookkeeping. Through
 * Next, a predict call cost ~3 ms of its ~4.7 ms of CPU there (infer bench), and a next-batch or
 * submit call about half of its CPU (load bench: the console's one event loop saturated at 50
 * annotators while a round trained). Each endpoint here is also a Next route (the same Endpoint,
 * lib/http/endpoint.ts) with the same checks (`authorize`) and the same error mapper, so a
 * request gets the same answer either way (tests/fast-path.test.ts, tests/ship.test.ts).
 * Everything not in the table goes to Next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
// The cookie parser behind Next's request.cookies (NextRequest): the same session for the same header.
import { parseCookie } from 'next/dist/compiled/@edge-runtime/cookies';
import { getDb, type Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { nextBatchEndpoint, phaseEndpoint, submitEndpoint } from '../queue/endpoints.ts';
import { multiPredictEndpoint, phasePredictEndpoint } from '../serving/handlers.ts';
import { JSON_BODY_LIMIT, parseJsonBytes, payloadTooLarge } from './body.ts';
import type { Endpoint } from './endpoint.ts';
import { authorize, bearerToken, errorResponse, SESSION_COOKIE, type CallerFacts } from './route.ts';

export interface FastRoute {
  method: 'GET' | 'POST';
  /** Matches the path (without the query); its groups are the `params`, in order. */
  path: RegExp;
  params: string[];
  endpoint: Endpoint;
}

/** The endpoints the fast path answers: the ones called hundreds of times a second. */
export const FAST_ROUTES: FastRoute[] = [
  { method: 'GET', path: /^\/api\/phases\/([^/]+)\/queue\/next$/, params: ['id'], endpoint: nextBatchEndpoint },
  { method: 'POST', path: /^\/api\/phases\/([^/]+)\/annotations$/, params: ['id'], endpoint: submitEndpoint },
  { method: 'POST', path: /^\/api\/v1\/phases\/([^/]+)\/predict$/, params: ['id'], endpoint: phasePredictEndpoint },
  { method: 'POST', path: /^\/api\/v1\/predict$/, params: [], endpoint: multiPredictEndpoint },
  { method: 'GET', path: /^\/api\/phases\/([^/]+)$/, params: ['id'], endpoint: phaseEndpoint },
];

export interface FastMatch {
  route: FastRoute;
  /** Raw (still %-encoded) path parameters. */
  raw: string[];
  query: string;
}

/** The fast route a request is for, or null (Next answers it). */
export function matchFast(req: Pick<IncomingMessage, 'method' | 'url'>, routes: FastRoute[] = FAST_ROUTES): FastMatch | null {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const m = route.path.exec(path);
    if (m) return { route, raw: m.slice(1), query: q < 0 ? '' : url.slice(q + 1) };
  }
  return null;
}

/**
 * Answers a matched request. `headers` are added to every answer (the console's security
 * headers, next.config.ts). `db` defaults to the process's database.
 */
export async function serveFast(match: FastMatch, req: IncomingMessage, res: ServerResponse, opts: { headers?: Record<string, string>; db?: Db } = {}): Promise<void> {
  let status = 200;
  let body: string | null;
  let extra: Record<string, string> = {};
  try {
    const { route } = match;
    // Bad %-encoding is refused before anything else, as proxy.ts does for Next's routes.
    const params: Record<string, string> = {};
    route.params.forEach((name, i) => (params[name] = safeDecode(match.raw[i])));
    const { db, user } = await authorize(opts.db ?? getDb, callerFacts(req), { role: route.endpoint.role, scope: route.endpoint.scope });
    const out = await route.endpoint.handle({ db, user, params, query: new URLSearchParams(match.query), body: () => readJson(req) });
    if (out === undefined) {
      status = 204;
      body = null;
    } else body = JSON.stringify(out);
  } catch (e) {
    const answer = errorResponse(e);
    status = answer.status;
    body = await answer.text();
    if (answer.headers.get('retry-after')) extra = { 'retry-after': answer.headers.get('retry-after')! };
  }
  // An unread body (a 401 before it was read) is drained so the kept-alive connection stays usable.
  if (!req.complete) req.resume();
  if (body === null) res.writeHead(status, { ...opts.headers, ...extra });
  else res.writeHead(status, { ...opts.headers, ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body ?? undefined);
}

function callerFacts(req: IncomingMessage): CallerFacts {
  return {
    method: req.method ?? 'GET',
    bearer: bearerToken(req.headers.authorization),
    session: sessionCookie(req.headers.cookie),
    // Only a cookie-authenticated call needs one (the CSRF guard reads its URL and headers).
    request: () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      try {
        return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method, headers });
      } catch {
        throw badRequest('the Host header is not a valid host');
      }
    },
  };
}

/** The session cookie's value from a Cookie header, read by the parser behind Next's request.cookies. */
export function sessionCookie(header: string | undefined): string | null {
  return header ? (parseCookie(header).get(SESSION_COOKIE) ?? null) : null;
}

// A path segment whose %-encoding does not decode is a 400 (as proxy.ts answers it for Next's routes).
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('the path is not valid %-encoded UTF-8');
  }
}

/** The body as JSON under the same limits as jsonBody() (readJsonLimited, read from node's stream): 413 past JSON_BODY_LIMIT, then parseJsonBytes. */
function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > JSON_BODY_LIMIT) return Promise.reject(payloadTooLarge(JSON_BODY_LIMIT));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > JSON_BODY_LIMIT) {
        failed = true;
        reject(payloadTooLarge(JSON_BODY_LIMIT));
      } else chunks.push(c);
    });
    req.on('error', (e) => failed || reject(e));
    // A client that goes away mid-body: settle, so nothing waits for an 'end' that never comes.
    req.on('close', () => !req.complete && !failed && ((failed = true), reject(badRequest('the request body was cut off'))));
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(parseJsonBytes(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
  });
}
