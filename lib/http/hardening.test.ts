import { describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import nextConfig from '../../next.config.ts';
import { proxy, config as proxyConfig } from '../../proxy.ts';
import { unstable_doesMiddlewareMatch } from 'next/experimental/testing/server';
import { jsonDepthExceeds, readJsonLimited } from './body.ts';
import { checkCookieMutation } from './origin.ts';
import { csvField } from '../queue/export.ts';
import { SlidingThrottle } from '../auth/throttle.ts';

describe('security headers', () => {
  it('sends CSP with frame-ancestors, nosniff, X-Frame-Options and Referrer-Policy on every path', async () => {
    const rules = await nextConfig.headers!();
    const all = rules.find((r) => r.source === '/:path*');
    const h = Object.fromEntries(all!.headers.map((x) => [x.key.toLowerCase(), x.value]));
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['referrer-policy']).toBe('same-origin');
    expect(h['content-security-policy']).toContain(`frame-ancestors 'none'`);
    expect(h['content-security-policy']).toContain(`default-src 'self'`);
    expect(h['content-security-policy']).toContain(`object-src 'none'`);
  });
});

describe('proxy', () => {
  it('answers 400 to a path whose %-encoding does not decode, and passes good paths on', async () => {
    const bad = proxy(new NextRequest('http://localhost/api/phases/%E0%A4%A'));
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('bad_request');
    const good = proxy(new NextRequest('http://localhost/api/tasks/caf%C3%A9'));
    expect(good.headers.get('x-middleware-next')).toBe('1');
  });

  it('runs for API paths with a %-escape only (it cost every API request ~0.3 ms of CPU) and for every page', () => {
    const matches = (path: string) => unstable_doesMiddlewareMatch({ config: proxyConfig, url: `http://localhost${path}` });
    expect(matches('/api/phases/%E0%A4%A')).toBe(true);
    expect(matches('/api/phases/%E0%A4%A/queue/next')).toBe(true);
    expect(matches('/api/phases/1/queue/next')).toBe(false);
    expect(matches('/api/phases/1/annotations')).toBe(false);
    expect(matches('/phases/abc')).toBe(true);
    expect(matches('/login')).toBe(true);
    expect(matches('/_next/static/x.js')).toBe(false);
  });
});

describe('request bodies', () => {
  it('measures JSON nesting outside strings only', () => {
    expect(jsonDepthExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[\\"[[["}', 3)).toBe(false);
  });

  it('stops at the limit with 413 and refuses invalid UTF-8', async () => {
    const req = (body: BodyInit) => new Request('http://x/', { method: 'POST', body });
    await expect(readJsonLimited(req('{"a":"' + 'x'.repeat(100) + '"}'), 50)).rejects.toMatchObject({ status: 413 });
    await expect(readJsonLimited(req(new Uint8Array([0x7b, 0xff, 0x7d])), 50)).rejects.toMatchObject({ status: 400 });
    expect(await readJsonLimited(req('{"a":1}'), 50)).toEqual({ a: 1 });
    expect(await readJsonLimited(req(''), 50)).toEqual({});
    // A byte order mark is dropped, as a TextDecoder drops it (the fast path reads bodies the same way).
    expect(await readJsonLimited(req('\ufeff{"a":1}'), 50)).toEqual({ a: 1 });
  });
});

describe('the CSRF guard', () => {
  const post = (headers: Record<string, string>, body?: string) => new Request('http://localhost:3000/api/x', { method: 'POST', headers, body });
  it('lets same-origin JSON through and stops other origins, cross-site fetches and non-JSON bodies', () => {
    expect(() => checkCookieMutation(post({ origin: 'http://localhost:3000', 'content-type': 'application/json' }, '{}'))).not.toThrow();
    expect(() => checkCookieMutation(post({ origin: 'http://evil.example', 'content-type': 'application/json' }, '{}'))).toThrow(/cross-origin/);
    expect(() => checkCookieMutation(post({ 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, '{}'))).toThrow(/cross-site/);
    expect(() => checkCookieMutation(post({ origin: 'http://localhost:3000', 'content-type': 'text/plain' }, 'x'))).toThrow(/application\/json/);
    expect(() => checkCookieMutation(post({ origin: 'http://localhost:3000', 'content-type': 'text/csv' }, 'x'), { rawBody: true })).not.toThrow();
    expect(() => checkCookieMutation(new Request('http://localhost:3000/api/x', { headers: { origin: 'http://evil.example' } }))).not.toThrow(); // GET
  });
});

describe('CSV cells', () => {
  it('prefixes formula starters with an apostrophe and quotes what needs it', () => {
    expect(csvField('=1+1')).toBe(`'=1+1`);
    expect(csvField('+1')).toBe(`'+1`);
    expect(csvField('-1')).toBe(`'-1`);
    expect(csvField('@A1')).toBe(`'@A1`);
    expect(csvField('\tx')).toBe(`"'\tx"`);
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('=HYPERLINK("a")')).toBe(`"'=HYPERLINK(""a"")"`);
    expect(csvField(-1)).toBe('-1'); // numbers are data, not text
    expect(csvField('a=b')).toBe('a=b');
  });
});

describe('the login throttle', () => {
  it('refuses past the limit until the oldest failure leaves the window', () => {
    const t = new SlidingThrottle();
    for (let i = 0; i < 3; i++) t.record('k', 1000 + i);
    expect(t.retryAfterMs('k', 3, 10_000, 2000)).toBe(9000);
    expect(t.retryAfterMs('k', 3, 10_000, 11_001)).toBe(0);
    t.clear('k');
    expect(t.retryAfterMs('k', 1, 10_000, 2000)).toBe(0);
  });
});
