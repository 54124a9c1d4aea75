import { z } from 'zod';
/**
 * What an API token may do, on top of its user's role: a token handed to a production service
 * can be limited to `predict`, so that a leak cannot read or relabel data. Browser sessions
 * carry no scopes (the role alone decides).
 */
export const ALL_SCOPES = ['read', 'annotate', 'predict', 'admin'] as const;
export type Scope = (typeof ALL_SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (ALL_SCOPES as readonly string[]).includes(value);
}

/** Parses the stored comma-separated list; unknown names are dropped. */
export function parseScopes(stored: string): Scope[] {
  return stored.split(',').map((s) => s.trim()).filter(isScope);
}

export function formatScopes(scopes: readonly string[]): string {
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length) throw new Error(`unknown scope(s): ${bad.join(', ')}; known: ${ALL_SCOPES.join(', ')}`);
  if (!scopes.length) throw new Error('a token needs at least one scope');
  return ALL_SCOPES.filter((s) => scopes.includes(s)).join(',');
}

/**
 * The scope a route needs when it names none: reading (GET) needs `read`; changing something
 * needs `annotate` on annotator routes and `admin` on lead and admin routes. A predict-only
 * token therefore reaches nothing but the predict API.
 */
export function defaultScope(method: string, role: 'annotator' | 'lead' | 'admin'): Scope {
  if (method === 'GET' || method === 'HEAD') return 'read';
  return role === 'annotator' ? 'annotate' : 'admin';
}

/** POST /api/tokens: a name and, optionally, fewer scopes than all four. */
export const tokenCreateSchema = z.object({ name: z.string().trim().min(1).max(100), scopes: z.array(z.enum(ALL_SCOPES)).min(1).optional() });
