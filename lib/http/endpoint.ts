/**
 * An API endpoint without a web framework: who may call it and what it does with the caller, the
 * path parameters, the query and the JSON body. Two adapters serve the same endpoint:
 * - `route()` (lib/http/route.ts) for Next's route handlers, which serve the whole API;
 * - the console server's fast path (lib/http/fast.ts, server.ts) for the few hot endpoints
 *   annotators and production services call hundreds of times a second (next batch, submit,
 *   predict): through Next a request cost 2–3 ms of CPU in routing and web streams before its own
 *   work (bench/cpuprofile.ts on the infer and load benches).
 * Both apply the same checks (lib/http/route.ts `authorize`), so the answer is the same whichever
 * path a request takes (tests/fast-path.test.ts, tests/ship.test.ts).
 */
import type { AuthUser } from '../auth/users.ts';
import type { Role } from '../auth/roles.ts';
import type { Scope } from '../auth/scopes.ts';
import type { Db } from '../db/client.ts';

export interface EndpointContext {
  db: Db;
  user: AuthUser;
  /** Path parameters, %-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body under the size and depth limits (lib/http/body.ts). */
  body(): Promise<unknown>;
}

export interface Endpoint {
  role: Role;
  /** The token scope it needs (default: defaultScope of the method and role). */
  scope?: Scope;
  handle(ctx: EndpointContext): Promise<unknown>;
}

export function endpoint(opts: { role: Role; scope?: Scope }, handle: (ctx: EndpointContext) => Promise<unknown>): Endpoint {
  return { ...opts, handle };
}
