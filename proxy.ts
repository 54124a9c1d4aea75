import { NextResponse, type NextRequest } from 'next/server';

/**
 * Runs before routing: a path whose %-encoding does not decode (`/api/phases/%E0%A4%A`) is a 400
 * here, instead of a URIError (500) when the route's params are decoded.
 */
export function proxy(req: NextRequest) {
  try {
    decodeURIComponent(req.nextUrl.pathname);
  } catch {
    return NextResponse.json({ error: 'the path is not valid %-encoded UTF-8', code: 'bad_request' }, { status: 400 });
  }
  return NextResponse.next();
}

export const config = { matcher: '/api/:path*' };
