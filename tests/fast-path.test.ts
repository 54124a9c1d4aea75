/**
 * The console server's fast path (lib/http/fast.ts) against Next's route handlers for the
 * annotator's hot endpoints, on real databases: every request gets the same status and body
 * either way — Bearer tokens and session cookies, the CSRF guard, scopes, bad ids, bad bodies —
 * and a real next-then-submit works through the fast path.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createApiToken, createUser, login } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { normalizeText, textHash } from '../lib/import/normalize.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { FAST_ROUTES, matchFast, serveFast, sessionCookie } from '../lib/http/fast.ts';
import { SESSION_COOKIE } from '../lib/http/route.ts';
import { parseCookie } from 'next/dist/compiled/@edge-runtime/cookies';
import * as nextRoute from '../app/api/phases/[id]/queue/next/route.ts';
import * as phaseRoute from '../app/api/phases/[id]/route.ts';
import * as submitRoute from '../app/api/phases/[id]/annotations/route.ts';

// The address the fast path's server listens on: fetch sends it as Host, so the Next side gets it too.
let HOST = '';

interface Call {
  method: 'GET' | 'POST';
  path: string;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
  body?: string;
}

describe('fast path routing', () => {
  it('takes only the hot endpoints, by method and exact path; the query is kept apart', () => {
    const m = (method: string, url: string) => matchFast({ method, url } as IncomingMessage);
    expect(m('GET', '/api/phases/3/queue/next?limit=5')).toMatchObject({ raw: ['3'], query: 'limit=5', route: FAST_ROUTES[0] });
    expect(m('POST', '/api/phases/3/annotations')?.route).toBe(FAST_ROUTES[1]);
    expect(m('POST', '/api/phases/3/queue/next')).toBeNull();
    expect(m('GET', '/api/phases/3/annotations')).toBeNull();
    expect(m('GET', '/api/phases/3/annotations/recent')).toBeNull();
    expect(m('GET', '/api/phases/3/queue/next/')).toBeNull();
    expect(m('GET', '/phases/3/queue/next')).toBeNull();
    expect(m('GET', '/api/phases/3')?.route.endpoint).toBe(FAST_ROUTES.find((r) => r.path.test('/api/phases/7'))!.endpoint);
    expect(m('GET', '/api/phases/3?x=1')).toMatchObject({ raw: ['3'], query: 'x=1' });
    expect(m('PATCH', '/api/phases/3')).toBeNull();
    expect(m('GET', '/api/phases/3/')).toBeNull();
    expect(m('GET', '/api/phases')).toBeNull();
  });

  it('reads the session cookie as Next does: the last one wins, an undecodable one is skipped', () => {
    const cases = [
      undefined,
      'a=1; distillery_session=abc%2Bd; b=2',
      'distillery_sessionx=1',
      `x=1;${SESSION_COOKIE}=%E0%A4%A`,
      'distillery_session=A; distillery_session=B',
      'distillery_session=A; distillery_session=%E0',
      'distillery_session=%E0; distillery_session=B',
      ' distillery_session=A',
      'distillery_session= A ;distillery_session',
      'distillery_session=a=b',
    ];
    for (const c of cases) expect([c, sessionCookie(c)]).toEqual([c, c === undefined ? null : (parseCookie(c).get(SESSION_COOKIE) ?? null)]);
    expect(sessionCookie('distillery_session=A; distillery_session=B')).toBe('B');
  });
});

describe.each(providers)('fast path on %s', (provider) => {
  let t: TestDatabase;
  let server: Server;
  let base = '';
  let phaseId = 0;
  const tokens: Record<string, string> = {};
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    t = await freshDatabase(provider);
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    for (const name of ['ann1', 'ann2', 'ann3', 'ann4']) {
      const u = await createUser(t.db, { email: `${name}@f.dev`, name, role: 'annotator', password: `${name}-password` });
      tokens[name] = (await createApiToken(t.db, u.id, 'test')).token;
      sessions[name] = (await login(t.db, `${name}@f.dev`, `${name}-password`)).token;
    }
    const lead = await createUser(t.db, { email: 'lead@f.dev', name: 'lead', role: 'lead', password: 'lead-password' });
    tokens.predictOnly = (await createApiToken(t.db, lead.id, 'serving', ['predict'])).token;
    tokens.readOnly = (await createApiToken(t.db, lead.id, 'reader', ['read'])).token;
    const task = await createTask(t.db, { slug: 'fast', name: 'fast', phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], threshold: 0.5, overlap: 1 }] });
    phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    const texts = Array.from({ length: 40 }, (_, i) => `text number ${i}`);
    await t.db.item.createMany({ data: texts.map((text, i) => ({ phaseId, text, textHash: textHash(normalizeText(text)), ordinal: i, split: 'train' })) });
    await rebuildQueue(t.db, phaseId);
    server = createServer((req, res) => {
      const fast = matchFast(req);
      if (fast) void serveFast(fast, req, res, { headers: { 'x-frame-options': 'DENY' }, db: t.db });
      else res.writeHead(418).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    HOST = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${HOST}`;
  });
  afterAll(async () => {
    server?.close();
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = undefined;
    await t?.drop();
  });

  const headersOf = (c: Call) => ({
    host: HOST,
    ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
    ...(c.cookie ? { cookie: `${SESSION_COOKIE}=${c.cookie}` } : {}),
    ...(c.headers ?? {}),
  });
  const parse = async (r: Response) => ({ status: r.status, body: r.status === 204 ? null : await r.json() });
  const viaFast = async (c: Call) => {
    const r = await fetch(base + c.path, { method: c.method, headers: headersOf(c), body: c.body });
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    return parse(r);
  };
  const viaNext = async (c: Call) => {
    const req = new NextRequest(new URL(c.path, `http://${HOST}`), { method: c.method, headers: headersOf(c), body: c.body });
    const id = /\/phases\/([^/]+)\//.exec(c.path)![1];
    const handler = c.method === 'GET' ? nextRoute.GET : submitRoute.POST;
    return parse(await handler(req, { params: Promise.resolve({ id: decodeURIComponent(id) }) }));
  };

  it('answers the phase read (GET /api/phases/:id) exactly as the Next route does, refusals and all', async () => {
    const viaPhaseRoute = async (c: Call) => {
      const req = new NextRequest(new URL(c.path, `http://${HOST}`), { method: 'GET', headers: headersOf(c) });
      const id = /\/phases\/([^/?]+)/.exec(c.path)![1];
      return parse(await phaseRoute.GET(req, { params: Promise.resolve({ id: decodeURIComponent(id) }) }));
    };
    const path = `/api/phases/${phaseId}`;
    const cases: Call[] = [
      { method: 'GET', path },
      { method: 'GET', path, token: 'not-a-token' },
      { method: 'GET', path, token: tokens.predictOnly },
      { method: 'GET', path: '/api/phases/abc', token: tokens.ann1 },
      { method: 'GET', path: '/api/phases/999999', token: tokens.ann1 },
      { method: 'GET', path, token: tokens.ann1 },
      { method: 'GET', path, cookie: sessions.ann1 },
    ];
    const statuses: number[] = [];
    for (const c of cases) {
      const [fast, viaRoute] = [await viaFast(c), await viaPhaseRoute(c)];
      expect({ ...c, answer: fast }).toEqual({ ...c, answer: viaRoute });
      statuses.push(fast.status);
    }
    expect(statuses).toEqual([401, 401, 403, 400, 404, 200, 200]);
    const ok = await viaFast({ method: 'GET', path, token: tokens.ann1 });
    expect(ok.body.phase.id).toBe(phaseId);
    expect(ok.body.queue).toBeTruthy();
  });

  it('answers every refused request exactly as the Next route does', async () => {
    const next = `/api/phases/${phaseId}/queue/next`;
    const answer = `/api/phases/${phaseId}/annotations`;
    const json = { 'content-type': 'application/json' };
    const sameOrigin = { ...json, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' };
    const ok = JSON.stringify({ itemId: 1, clientId: 'c-1', action: 'label', label: 'safe' });
    const cases: Call[] = [
      { method: 'GET', path: next },
      { method: 'GET', path: next, token: 'not-a-token' },
      { method: 'GET', path: next, cookie: 'not-a-session' },
      { method: 'GET', path: next, token: tokens.predictOnly },
      { method: 'GET', path: '/api/phases/abc/queue/next', token: tokens.ann1 },
      { method: 'GET', path: '/api/phases/99999999999/queue/next', token: tokens.ann1 },
      { method: 'GET', path: '/api/phases/999999/queue/next', token: tokens.ann1 },
      { method: 'GET', path: `${next}?limit=abc`, token: tokens.ann1 },
      { method: 'POST', path: answer, body: ok, headers: json },
      { method: 'POST', path: answer, token: tokens.readOnly, body: ok, headers: json },
      { method: 'POST', path: answer, token: tokens.predictOnly, body: ok, headers: json },
      { method: 'POST', path: answer, cookie: sessions.ann1, body: ok, headers: { ...json, origin: 'http://evil.example' } },
      { method: 'POST', path: answer, cookie: sessions.ann1, body: ok, headers: { ...json, 'sec-fetch-site': 'cross-site' } },
      { method: 'POST', path: answer, cookie: sessions.ann1, body: ok, headers: { 'content-type': 'text/plain', origin: `http://${HOST}` } },
      { method: 'POST', path: answer, token: tokens.ann1, body: '{"itemId": 1,', headers: json },
      { method: 'POST', path: answer, token: tokens.ann1, body: '['.repeat(100) + ']'.repeat(100), headers: json },
      { method: 'POST', path: answer, token: tokens.ann1, body: JSON.stringify({ note: 'x'.repeat(1024 * 1024) }), headers: json },
      { method: 'POST', path: answer, token: tokens.ann1, body: JSON.stringify({ itemId: 1, clientId: '', action: 'label' }), headers: json },
      { method: 'POST', path: answer, token: tokens.ann1, body: JSON.stringify({ itemId: 1, clientId: 'c', action: 'shout' }), headers: json },
      // Not held by the caller: refused with the domain's reason.
      { method: 'POST', path: answer, cookie: sessions.ann1, body: ok, headers: sameOrigin },
      { method: 'POST', path: '/api/phases/0/annotations', token: tokens.ann1, body: ok, headers: json },
    ];
    const statuses: number[] = [];
    for (const c of cases) {
      const [fast, viaRoute] = [await viaFast(c), await viaNext(c)];
      expect({ ...c, body: c.body?.slice(0, 40), answer: fast }).toEqual({ ...c, body: c.body?.slice(0, 40), answer: viaRoute });
      statuses.push(fast.status);
    }
    expect(statuses).toEqual([401, 401, 401, 403, 400, 400, 404, 400, 401, 403, 403, 403, 403, 415, 400, 400, 413, 400, 400, statuses[19], 400]);
    expect(statuses[19]).toBeGreaterThanOrEqual(400);
    // A Host header that makes no URL: 400 for a cookie call that changes something, never a 500.
    const { request } = await import('node:http');
    const badHost = await new Promise<number>((resolve, reject) => {
      const r = request(`${base}/api/phases/${phaseId}/annotations`, { method: 'POST', headers: { host: 'a b', cookie: `${SESSION_COOKIE}=${sessions.ann1}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on('error', reject);
      r.end(ok);
    });
    expect(badHost).toBe(400);
    // A path whose %-encoding does not decode: 400 before anything else (proxy.ts does it for Next).
    const bad = await viaFast({ method: 'GET', path: '/api/phases/%E0%A4%A/queue/next' });
    expect(bad).toEqual({ status: 400, body: { error: 'the path is not valid %-encoded UTF-8', code: 'bad_request' } });
  });

  it('serves a real next batch and submit, by token and by session cookie, as the Next route does', async () => {
    const next = (who: string, viaCookie: boolean) => ({ method: 'GET' as const, path: `/api/phases/${phaseId}/queue/next?limit=3`, ...(viaCookie ? { cookie: sessions[who] } : { token: tokens[who] }) });
    const [fastBatch, routeBatch] = [await viaFast(next('ann2', false)), await viaNext(next('ann3', false))];
    expect(fastBatch.status).toBe(200);
    expect(routeBatch.status).toBe(200);
    expect(Object.keys(fastBatch.body).sort()).toEqual(Object.keys(routeBatch.body).sort());
    expect(fastBatch.body.items).toHaveLength(3);
    expect(Object.keys(fastBatch.body.items[0]).sort()).toEqual(Object.keys(routeBatch.body.items[0]).sort());
    // Held leases come back the same, whichever path asks.
    expect((await viaNext(next('ann2', false))).body.items.map((i: { itemId: number }) => i.itemId)).toEqual(fastBatch.body.items.map((i: { itemId: number }) => i.itemId));
    // A session-cookie annotator from this origin: next, then submit through the fast path.
    const mine = (await viaFast(next('ann4', true))).body.items as { itemId: number }[];
    const headers = { 'content-type': 'application/json', origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' };
    const submit = { method: 'POST' as const, path: `/api/phases/${phaseId}/annotations`, cookie: sessions.ann4, headers, body: JSON.stringify({ itemId: mine[0].itemId, clientId: 'fast-1', action: 'label', label: 'offensive' }) };
    const first = await viaFast(submit);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ duplicate: false, annotation: { itemId: mine[0].itemId, label: 'offensive' } });
    // Retried through Next: the same answer, acknowledged as a duplicate.
    const again = await viaNext(submit);
    expect(again).toEqual({ status: 200, body: { ...first.body, duplicate: true } });
    const stored = await t.db.annotation.findMany({ where: { phaseId, clientId: 'fast-1' } });
    expect(stored).toHaveLength(1);
  });
});
