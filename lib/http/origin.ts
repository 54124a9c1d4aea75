/**
 * Cross-site request forgery guard for cookie-authenticated mutations. SameSite=Strict alone
 * does not stop another port of the same host (same site, other origin), nor an old browser.
 * A mutation carried by the session cookie must:
 * - come from this origin: `Sec-Fetch-Site` (when sent) is `same-origin` (or `none`: typed by
 *   the user), and `Origin` (when sent) names this host. A request with neither header does not
 *   come from a browser (every current browser sends them on a POST) and is let through, as Go's
 *   net/http CrossOriginProtection does: a cookie jar in a script is not a forgery;
 * - carry `application/json` when it has a body (a cross-site form or `text/plain` fetch cannot
 *   set it without a CORS preflight, which this app never grants), unless the route takes a raw
 *   body (the file import, where the Origin check alone decides).
 * Bearer-token requests (CLI, scripts) carry no ambient credential and are exempt.
 * Extra origins (a reverse proxy that rewrites Host) go in DISTILLERY_ALLOWED_ORIGINS, comma-separated.
 */
import { forbidden, DomainError } from '../errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isMutation = (method: string) => !SAFE_METHODS.has(method.toUpperCase());

function allowedOrigins(req: Request): Set<string> {
  const out = new Set<string>();
  const url = new URL(req.url);
  out.add(url.origin);
  const proto = req.headers.get('x-forwarded-proto')?.split(',')[0].trim() || url.protocol.replace(':', '');
  // The Host the browser used, with the scheme a TLS-terminating proxy reports. X-Forwarded-Host
  // is not trusted (a client may send it; Next only fills it in when absent).
  const host = req.headers.get('host');
  if (host) {
    out.add(`${proto}://${host}`);
    out.add(`${url.protocol}//${host}`);
  }
  for (const o of (process.env.DISTILLERY_ALLOWED_ORIGINS ?? '').split(',')) if (o.trim()) out.add(o.trim().replace(/\/$/, ''));
  return out;
}

/** Throws 403 unless the request comes from this origin (see the top of the file). */
export function checkSameOrigin(req: Request): void {
  const site = req.headers.get('sec-fetch-site');
  const origin = req.headers.get('origin');
  if (site && site !== 'same-origin' && site !== 'none') throw forbidden(`cross-site request refused (Sec-Fetch-Site: ${site})`);
  if (origin && !allowedOrigins(req).has(origin)) throw forbidden(`cross-origin request refused (Origin: ${origin})`);
}

const hasBody = (req: Request) => {
  const length = req.headers.get('content-length');
  return length ? Number(length) > 0 : req.headers.has('transfer-encoding') || (req.body != null && !length && req.headers.has('content-type'));
};

export function checkJsonContentType(req: Request): void {
  const type = req.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new DomainError(`send this request with content-type: application/json (got ${type || 'none'})`, 415, 'unsupported_media_type');
  }
}

/** The whole guard for a cookie-authenticated request. */
export function checkCookieMutation(req: Request, opts: { rawBody?: boolean } = {}): void {
  if (!isMutation(req.method)) return;
  checkSameOrigin(req);
  if (!opts.rawBody && hasBody(req)) checkJsonContentType(req);
}
