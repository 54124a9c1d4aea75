import { NextResponse, type NextRequest } from 'next/server';
import { hasMalformedPageId } from './lib/http/page-params.ts';

/** Request header that tells server components the path being opened (for the login redirect's `next`). */
export const PATH_HEADER = 'x-distillery-path';

/**
 * Runs before routing: a path whose %-encoding does not decode (`/api/phases/%E0%A4%A`) is a 400
 * here, instead of a URIError (500) when the route's params are decoded. For pages it passes the
 * path and query on, so a logged-out visitor is sent to `/login?next=<where they were going>`.
 */
export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (pathname.startsWith('/api/')) {
    try {
      decodeURIComponent(pathname);
    } catch {
      return NextResponse.json({ error: 'the path is not valid %-encoded UTF-8', code: 'bad_request' }, { status: 400 });
    }
    return NextResponse.next();
  }
  // `/phases/abc`: a real 404 status (a notFound() in the streamed page could only render the 404 UI).
  if (hasMalformedPageId(pathname)) return NextResponse.rewrite(new URL('/_no-such-page', req.url));
  const headers = new Headers(req.headers);
  headers.set(PATH_HEADER, pathname + search);
  return NextResponse.next({ request: { headers } });
}

// API paths only when they hold a %-escape (the only ones it can refuse): running it on every API
// request cost ~0.3 ms of the console's CPU each (an authenticated GET /api/me: 1.54 vs 1.22 ms).
export const config = { matcher: ['/api/(.*%.*)', '/((?!api/|_next/|favicon|icon\\.svg|ort/|.*\\.(?:wasm|mjs|js|css|png|svg|ico)$).*)'] };
