/**
 * The predict API's fast path in the console server (server.ts): Bearer-token calls to
 * `POST /api/v1/phases/:id/predict` and `POST /api/v1/predict` answered on node:http directly,
 * without Next's routing, web-stream request/response objects and async bookkeeping, which cost
 * ~3 ms of the ~4.7 ms of CPU a 32-text request took through Next (bench/cpuprofile.ts on the
 * infer bench). It applies what the route wrapper does for these two routes — token lookup
 * (cached), role, `predict` scope, body limits, the error mapper, the security headers — and calls
 * the same handlers (lib/serving/handlers.ts); tests/ship.test.ts checks both answer alike.
 * Everything else, including the browser's session-cookie calls (CSRF checks), goes to Next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasRole } from '../auth/roles.ts';
import { userForApiToken } from '../auth/users.ts';
import { getDb, type Db } from '../db/client.ts';
import { badRequest, forbidden, unauthorized } from '../errors.ts';
import { JSON_BODY_LIMIT, MAX_JSON_DEPTH, jsonDepthExceeds, payloadTooLarge } from '../http/body.ts';
import { errorResponse, intParam } from '../http/route.ts';
import { predictPhase, predictPhases } from './handlers.ts';

const PHASE_PREDICT = /^\/api\/v1\/phases\/([^/?]*)\/predict(?:\?.*)?$/;
const MULTI_PREDICT = /^\/api\/v1\/predict(?:\?.*)?$/;

/** True for the requests the fast path answers: a POST with a Bearer token to one of the two predict routes. */
export function isFastPredict(req: IncomingMessage): boolean {
  return req.method === 'POST' && !!req.headers.authorization?.startsWith('Bearer ') && (PHASE_PREDICT.test(req.url ?? '') || MULTI_PREDICT.test(req.url ?? ''));
}

/**
 * Answers a request isFastPredict() accepted. `headers` are added to every answer (the console's
 * security headers, next.config.ts). `db` defaults to the process's database.
 */
export async function serveFastPredict(req: IncomingMessage, res: ServerResponse, opts: { headers?: Record<string, string>; db?: Db } = {}): Promise<void> {
  let status = 200;
  let body: string;
  let extra: Record<string, string> = {};
  try {
    const db = opts.db ?? (await getDb());
    const user = await userForApiToken(db, req.headers.authorization!.slice(7).trim());
    if (!user) throw unauthorized();
    if (!hasRole(user.role, 'annotator')) throw forbidden(`this needs the annotator role; you are ${user.role}`);
    if (user.scopes && !user.scopes.includes('predict')) throw forbidden('this token lacks the predict scope');
    const phase = PHASE_PREDICT.exec(req.url!);
    const out = phase ? await predictPhase(db, user, intParam(safeDecode(phase[1]), 'phase id'), await readJson(req)) : await predictPhases(db, user, await readJson(req));
    body = JSON.stringify(out);
  } catch (e) {
    const answer = errorResponse(e);
    status = answer.status;
    body = await answer.text();
    if (answer.headers.get('retry-after')) extra = { 'retry-after': answer.headers.get('retry-after')! };
    // An unread body (a 401 before it was read) is drained so the kept-alive connection stays usable.
    req.resume();
  }
  res.writeHead(status, { ...opts.headers, ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// A path segment whose %-encoding does not decode is a 400 (as proxy.ts answers it for Next's routes).
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('the path is not valid %-encoded UTF-8');
  }
}

/** The body as JSON under the same limits as jsonBody(): 413 past JSON_BODY_LIMIT, 400 past MAX_JSON_DEPTH or bad UTF-8. */
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
      let text: string;
      try {
        text = utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      } catch {
        return reject(badRequest('request body is not valid UTF-8'));
      }
      if (!text.trim()) return resolve({});
      if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return reject(badRequest(`request body nests deeper than ${MAX_JSON_DEPTH} levels`));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(e);
      }
    });
  });
}
const utf8 = new TextDecoder('utf-8', { fatal: true });
