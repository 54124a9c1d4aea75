import { NextResponse, type NextRequest } from 'next/server';
import { ZodError } from 'zod';
import { getDb, type Db } from '../db/client.ts';
import { DomainError, RetryLaterError, forbidden, fromPrismaError, unauthorized } from '../errors.ts';
import { isBusyError } from '../db/busy.ts';
import { readJsonLimited, JSON_BODY_LIMIT } from './body.ts';
import { checkCookieMutation, isMutation } from './origin.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { defaultScope, type Scope } from '../auth/scopes.ts';
import { userForApiToken, userForSession, type AuthUser } from '../auth/users.ts';
import { MAX_ID } from './page-params.ts';
import type { Endpoint } from './endpoint.ts';

export const SESSION_COOKIE = 'distillery_session';

export interface RouteContext<P> {
  req: NextRequest;
  db: Db;
  user: AuthUser;
  params: P;
}

/** Turns any error into the JSON answer users see: domain errors keep their status and details. */
export function errorResponse(error: unknown): NextResponse {
  const e = fromPrismaError(error) ?? error;
  if (e instanceof RetryLaterError) {
    return NextResponse.json(
      { error: e.message, code: e.code, details: e.details },
      { status: e.status, headers: { 'retry-after': String(Math.max(1, Math.ceil(e.retryAfterSeconds))) } },
    );
  }
  if (isBusyError(e)) {
    return NextResponse.json({ error: 'the database is busy; try again shortly', code: 'busy' }, { status: 503, headers: { 'retry-after': '2' } });
  }
  if (e instanceof DomainError) {
    return NextResponse.json({ error: e.message, code: e.code, details: e.details }, { status: e.status });
  }
  if (e instanceof ZodError) {
    const details = e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const message = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
    return NextResponse.json({ error: message, code: 'bad_request', details }, { status: 400 });
  }
  if (e instanceof SyntaxError) {
    return NextResponse.json({ error: `request body is not valid JSON: ${e.message}`, code: 'bad_request' }, { status: 400 });
  }
  console.error(e);
  return NextResponse.json({ error: 'internal error', code: 'internal' }, { status: 500 });
}

type Handler<P> = (ctx: RouteContext<P>) => Promise<unknown>;

/** The request facts the checks need, from Next's request or node:http's. */
export interface CallerFacts {
  method: string;
  /** The Authorization header's Bearer token, if any. */
  bearer: string | null;
  /** The session cookie's value, if any. */
  session: string | null;
  /** A web Request for the cookie-mutation guard (lib/http/origin.ts); made only when needed. */
  request(): Request;
}

/**
 * The checks every API call goes through before its handler, whichever server answers it: the
 * cookie-mutation guard (Bearer calls carry no ambient credential), authentication, the role and
 * the token's scope. Returns the caller; throws the DomainError the user sees.
 */
export async function authorize(db: Db | (() => Promise<Db>), facts: CallerFacts, opts: { role: Role; rawBody?: boolean; scope?: Scope }): Promise<{ db: Db; user: AuthUser }> {
  if (facts.bearer === null && isMutation(facts.method)) checkCookieMutation(facts.request(), { rawBody: opts.rawBody });
  const database = typeof db === 'function' ? await db() : db;
  const user = facts.bearer !== null ? await userForApiToken(database, facts.bearer) : facts.session ? await userForSession(database, facts.session) : null;
  if (!user) throw unauthorized();
  if (!hasRole(user.role, opts.role)) throw forbidden(`this needs the ${opts.role} role; you are ${user.role}`);
  const scope = opts.scope ?? defaultScope(facts.method, opts.role);
  if (user.scopes && !user.scopes.includes(scope)) throw forbidden(`this token lacks the ${scope} scope`);
  return { db: database, user };
}

/** The token of an `Authorization: Bearer …` header, else null. */
export function bearerToken(header: string | null | undefined): string | null {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
}

function nextFacts(req: NextRequest): CallerFacts {
  return {
    method: req.method,
    bearer: bearerToken(req.headers.get('authorization')),
    session: req.cookies?.get(SESSION_COOKIE)?.value ?? null,
    request: () => req,
  };
}

/**
 * The one wrapper every route handler goes through: authentication, role check, errors.
 * A handler returns plain data (sent as JSON), a Response (sent as is), or undefined (204).
 */
export function route<P = Record<string, string>>(opts: { role: Role; rawBody?: boolean; scope?: Scope }, handler: Handler<P>) {
  return async (req: NextRequest, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const { db, user } = await authorize(getDb, nextFacts(req), opts);
      const params = context?.params ? await context.params : ({} as P);
      const out = await handler({ req, db, user, params });
      if (out instanceof Response) return out;
      if (out === undefined) return new NextResponse(null, { status: 204 });
      return NextResponse.json(out);
    } catch (e) {
      return errorResponse(e);
    }
  };
}

/** A Next route handler for an endpoint (lib/http/endpoint.ts). */
export function endpointRoute(e: Endpoint) {
  return route<Record<string, string>>({ role: e.role, scope: e.scope }, ({ req, db, user, params }) =>
    e.handle({ db, user, params, query: req.nextUrl.searchParams, body: () => jsonBody(req) }),
  );
}

/** Routes open to anyone (login): errors handled the same way. */
export function publicRoute(handler: (ctx: { req: NextRequest; db: Db }) => Promise<unknown>) {
  return async (req: NextRequest): Promise<Response> => {
    try {
      // Login and logout come from the browser: same guard as cookie-authenticated changes.
      checkCookieMutation(req);
      const db = await getDb();
      const out = await handler({ req, db });
      if (out instanceof Response) return out;
      return NextResponse.json(out ?? null);
    } catch (e) {
      return errorResponse(e);
    }
  };
}

// Ids are 32-bit integer columns: anything else (abc, 1e3, 2^64) is a 400, never a database error.
export { MAX_ID };

export function intParam(value: string, what: string): number {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  if (!/^\d{1,10}$/.test(value)) throw new DomainError(`${what} must be a positive integer, got "${shown}"`, 400, 'bad_request');
  const n = Number(value);
  if (n <= 0 || n > MAX_ID) throw new DomainError(`${what} must be between 1 and ${MAX_ID}, got "${shown}"`, 400, 'bad_request');
  return n;
}

/** The JSON body, read with a size limit (413 past it) and a nesting limit (400). */
export async function jsonBody(req: Request, limit = JSON_BODY_LIMIT): Promise<unknown> {
  return readJsonLimited(req, limit);
}
