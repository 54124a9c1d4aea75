import type { AuthUser } from './users.ts';

/**
 * Who a token or session belongs to, remembered for a few seconds: without it every API request
 * paid a database lookup (and, on SQLite, a statement prepared anew) before doing anything, which
 * was the largest cost of a predict request after inference itself.
 *
 * Correctness of revocation: every change made through lib/auth/users.ts (revoke, logout, disable,
 * password reset, role change) clears the whole cache of this process at once, so it takes effect
 * on the next request. A change made by another process (the CLI, another console) is seen once the
 * entry expires: within AUTH_CACHE_MS (default 5000; 0 turns the cache off). Only successful
 * lookups are kept; an unknown or revoked token is looked up every time.
 */
export class AuthCache {
  private readonly entries = new Map<string, { user: AuthUser; until: number }>();
  /** Bumped by clear(): a lookup that read the database before a revoke must not cache what it read. */
  private generation = 0;

  constructor(
    readonly ttlMs: number,
    /** The clock (tests move it instead of waiting). */
    public now: () => number = () => performance.now(),
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): AuthUser | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (this.now() >= e.until) {
      this.entries.delete(key);
      return null;
    }
    return e.user;
  }

  /** A ticket to take before reading the database, for set(). */
  ticket(): number {
    return this.generation;
  }

  /**
   * Kept for ttlMs, or until `expiresInMs` (a session's own expiry) when that comes first; not kept
   * when the cache was cleared since `ticket` was taken (the row read may predate a revoke).
   */
  set(key: string, user: AuthUser, ticket: number, expiresInMs = Infinity): void {
    if (this.ttlMs <= 0 || ticket !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear(); // bounded: a flood of tokens cannot grow it
    this.entries.set(key, { user, until: this.now() + Math.min(this.ttlMs, expiresInMs) });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export function authCacheTtlMs(env: Record<string, string | undefined> = process.env): number {
  const v = Number(env.AUTH_CACHE_MS);
  return env.AUTH_CACHE_MS != null && env.AUTH_CACHE_MS !== '' && Number.isFinite(v) && v >= 0 ? v : 5000;
}

// One per process, on globalThis: Next bundles each route with its own copy of lib/, and a revoke
// handled by one route must clear the cache that the predict route reads.
const g = globalThis as unknown as { __distilleryAuthCache?: AuthCache };

export function authCache(): AuthCache {
  return (g.__distilleryAuthCache ??= new AuthCache(authCacheTtlMs()));
}
