/**
 * Pure helpers for pages: ids in page paths and the `next` target kept through the login redirect.
 * No Next imports here so the unit tests run them as they are.
 */

/** Ids are 32-bit integer columns: the largest id a path, a body or a query may name. */
export const MAX_ID = 2_147_483_647;

/** A page-path id ("12") as a number, or null for anything else (abc, 1e3, 0, -1, 2^40): the page answers 404. */
export function parsePageId(raw: string | undefined | null): number | null {
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= MAX_ID ? n : null;
}

/**
 * Where to go after login: a same-site path (`/phases/3?split=test`), else the task list.
 * Refuses `//evil.example`, `/\evil.example` (browsers read both as another host), absolute URLs,
 * control characters, and the login page itself (no loop).
 */
export function safeNextPath(raw: string | string[] | undefined | null, fallback = '/tasks'): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, 'http://same.invalid');
  } catch {
    return fallback;
  }
  if (url.host !== 'same.invalid') return fallback;
  if (url.pathname === '/login' || url.pathname.startsWith('/api/')) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The login page's address for someone who was going to `path` (kept only when it is safe). */
export function loginPath(path: string | null | undefined): string {
  const next = safeNextPath(path, '');
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/** Page routes whose first dynamic segment is a numeric id (tasks/[id] also takes a slug, so it is not here). */
const ID_ROUTES = [/^\/phases\/([^/]+)/, /^\/rounds\/([^/]+)/, /^\/annotate\/([^/]+)/, /^\/models\/try\/([^/]+)/, /^\/models\/(?!try(?:\/|$))([^/]+)/];

/**
 * True when a page path names an id that cannot exist (`/phases/abc`, `/rounds/0`, `/models/1e99`).
 * proxy.ts answers those with the 404 page before any page code runs (the pages check again with
 * pageIdOr404, so a page reached another way still never hands `NaN` to the database).
 */
export function hasMalformedPageId(pathname: string): boolean {
  for (const re of ID_ROUTES) {
    const m = re.exec(pathname);
    if (m) {
      let raw: string;
      try {
        raw = decodeURIComponent(m[1]);
      } catch {
        return true;
      }
      return parsePageId(raw) == null;
    }
  }
  return false;
}
