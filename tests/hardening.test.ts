/**
 * Hostile input and abuse, against the real route handlers and real databases (issue 12):
 * body limits, deep JSON, malformed ids, the CSRF guard, login throttling and its audit trail,
 * tokens after a reset or disable and the admin's token view, idempotent undo, clientId reuse,
 * held leases under polling, CSV formula cells, import status and caps, concurrent imports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import type { Db } from '../lib/db/client.ts';
import { createApiToken, createUser, dummyPasswordHash, login, updateUser, userForApiToken } from '../lib/auth/users.ts';
import { authCache } from '../lib/auth/auth-cache.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { normalizeText, textHash } from '../lib/import/normalize.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { nextItems, submit, undo } from '../lib/queue/annotate.ts';
import { exportLabels } from '../lib/queue/export.ts';
import { importFile } from '../lib/import/importer.ts';
import { MAX_TEXT_CHARS } from '../lib/import/rows.ts';
import { SESSION_COOKIE } from '../lib/http/route.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (req: NextRequest, ctx: { params: Promise<any> }) => Promise<Response>;

interface Init {
  method?: string;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  params?: Record<string, string>;
}

async function call(handler: Handler, url: string, init: Init = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = `${SESSION_COOKIE}=${init.cookie}`;
  const req = new NextRequest(new URL(url, 'http://localhost:3000'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body as BodyInit | undefined,
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  const type = res.headers.get('content-type') ?? '';
  const body = res.status === 204 ? null : type.includes('application/json') ? await res.json() : await res.text();
  return { status: res.status, headers: res.headers, body };
}

async function queuePhase(db: Db, slug: string, texts: string[]) {
  const task = await createTask(db, { slug, name: slug, phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], threshold: 0.5, overlap: 1 }] });
  const phaseId = (await db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
  await db.item.createMany({ data: texts.map((text, i) => ({ phaseId, text, textHash: textHash(normalizeText(text)), ordinal: i, split: 'train' })) });
  await rebuildQueue(db, phaseId);
  return phaseId;
}

describe.each(providers)('hardening on %s', (provider) => {
  let t: TestDatabase;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await freshDatabase(provider);
    process.env.DATABASE_URL = t.url;
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    // The login throttle is per process: start each provider's run with a clean slate.
    (globalThis as { __distilleryLoginThrottle?: unknown }).__distilleryLoginThrottle = undefined;
    for (const role of ['annotator', 'lead', 'admin'] as const) {
      const u = await createUser(t.db, { email: `${role}@h.dev`, name: role, role, password: `${role}-password` });
      ids[role] = u.id;
      tokens[role] = (await createApiToken(t.db, u.id, 'test')).token;
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('answers 413 to bodies over the limit without reading them whole: 8 KiB for login, 1 MiB for JSON routes', async () => {
    const loginRoute = await import('../app/api/auth/login/route.ts');
    const big = JSON.stringify({ email: 'lead@h.dev', password: 'x'.repeat(200_000) });
    const res = await call(loginRoute.POST, '/api/auth/login', { headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
    // A streamed body with no Content-Length is cut off at the limit too.
    const chunks = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const req = new NextRequest('http://localhost:3000/api/tasks', { method: 'POST', headers: { authorization: `Bearer ${tokens.lead}`, 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as ConstructorParameters<typeof NextRequest>[1]);
    const tasks = await import('../app/api/tasks/route.ts');
    const streamed = await tasks.POST(req, { params: Promise.resolve({}) });
    expect(streamed.status).toBe(413);
    // Under the limit the route still works.
    const ok = await call(loginRoute.POST, '/api/auth/login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lead@h.dev', password: 'lead-password' }) });
    expect(ok.status).toBe(200);
  });

  it('answers 400, not 500, to malformed ids and to JSON nested 200,000 deep', async () => {
    const phase = await import('../app/api/phases/[id]/route.ts');
    const task = await import('../app/api/tasks/[id]/route.ts');
    for (const id of ['abc', '99999999999999999999', '18446744073709551617', '1e3', '-1', '0', '2147483648']) {
      const res = await call(phase.GET, `/api/phases/${id}`, { token: tokens.lead, params: { id } });
      expect(res.status, id).toBe(400);
    }
    expect((await call(task.GET, '/api/tasks/x', { token: tokens.lead, params: { id: '99999999999999999999' } })).status).toBe(400);
    expect((await call(phase.GET, '/api/phases/2147483647', { token: tokens.lead, params: { id: '2147483647' } })).status).toBe(404);
    const phaseId = await queuePhase(t.db, `deep-${provider}`, ['a first text', 'a second text']);
    const annotations = await import('../app/api/phases/[id]/annotations/route.ts');
    const shown = '['.repeat(200_000) + ']'.repeat(200_000);
    const res = await call(annotations.POST, '/x', {
      token: tokens.annotator,
      params: { id: String(phaseId) },
      headers: { 'content-type': 'application/json' },
      body: `{"itemId":1,"clientId":"deep","action":"skip","shown":${shown}}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('deeper than 64');
    // An item id past 32 bits in a body is a 400 too, not a database overflow.
    const huge = await call(annotations.POST, '/x', {
      token: tokens.annotator,
      params: { id: String(phaseId) },
      headers: { 'content-type': 'application/json' },
      body: '{"itemId":100000000000000000000,"clientId":"huge","action":"skip"}',
    });
    expect(huge.status).toBe(400);
  });

  it('refuses cookie-authenticated changes from another origin or without application/json; Bearer requests are exempt', async () => {
    const { token: session } = await login(t.db, 'annotator@h.dev', 'annotator-password');
    const route = await import('../app/api/tokens/route.ts');
    const body = JSON.stringify({ name: 'csrf' });
    const evil = await call(route.POST, '/api/tokens', { cookie: session, headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body });
    expect(evil.status).toBe(403);
    const otherPort = await call(route.POST, '/api/tokens', { cookie: session, headers: { origin: 'http://localhost:3001', 'content-type': 'application/json' }, body });
    expect(otherPort.status).toBe(403);
    const crossSite = await call(route.POST, '/api/tokens', { cookie: session, headers: { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body });
    expect(crossSite.status).toBe(403);
    const plain = await call(route.POST, '/api/tokens', { cookie: session, headers: { origin: 'http://localhost:3000', 'content-type': 'text/plain' }, body });
    expect(plain.status).toBe(415);
    const same = await call(route.POST, '/api/tokens', { cookie: session, headers: { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, body });
    expect(same.status).toBe(201);
    const bearer = await call(route.POST, '/api/tokens', { token: tokens.annotator, headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body });
    expect(bearer.status).toBe(201);
    // Reads are not changes.
    expect((await call(route.GET, '/api/tokens', { cookie: session, headers: { origin: 'http://evil.example' } })).status).toBe(200);
    expect(await t.db.apiToken.count({ where: { userId: ids.annotator, name: 'csrf' } })).toBe(2);
  });

  it('throttles failed logins per account and per address with 429 + Retry-After, and logs them', async () => {
    await createUser(t.db, { email: 'victim@h.dev', name: 'v', role: 'annotator', password: 'victim-password' });
    const loginRoute = await import('../app/api/auth/login/route.ts');
    const attempt = (email: string, password: string, address = '203.0.113.7') =>
      call(loginRoute.POST, '/api/auth/login', { headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify({ email, password }) });
    // Ten guesses at once: at most the account's 5 get checked, the rest are refused.
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt('victim@h.dev', `guess-${i}`, `198.51.100.${i}`)));
    expect(burst.filter((r) => r.status === 401)).toHaveLength(5);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(5);
    expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThan(0);
    // Locked: even the right password waits.
    expect((await attempt('victim@h.dev', 'victim-password')).status).toBe(429);
    const logged = await t.db.auditLog.findMany({ where: { action: 'auth.login_failed', target: 'email:victim@h.dev' } });
    expect(logged).toHaveLength(5);
    expect(JSON.parse(logged[0].details!)).toMatchObject({ reason: 'wrong password' });

    // Per address: many accounts guessed from one address.
    process.env.DISTILLERY_LOGIN_MAX_FAILURES_ADDRESS = '3';
    try {
      const spray = [];
      for (let i = 0; i < 4; i++) spray.push((await attempt(`nobody${i}@h.dev`, 'password', '192.0.2.99')).status);
      expect(spray).toEqual([401, 401, 401, 429]);
      expect((await attempt('lead@h.dev', 'lead-password', '192.0.2.99')).status).toBe(429);
      expect((await attempt('lead@h.dev', 'lead-password', '192.0.2.100')).status).toBe(200);
    } finally {
      delete process.env.DISTILLERY_LOGIN_MAX_FAILURES_ADDRESS;
    }
    const unknown = await t.db.auditLog.findFirst({ where: { action: 'auth.login_failed', target: 'email:nobody0@h.dev' } });
    expect(JSON.parse(unknown!.details!)).toMatchObject({ reason: 'unknown email', address: '192.0.2.99' });
    // An unknown email is checked against a real scrypt hash with the same parameters as a
    // user's, so it costs the same time (no enumeration by timing; the time itself is not asserted).
    const real = (await t.db.user.findFirstOrThrow({ where: { email: 'lead@h.dev' } })).passwordHash;
    const dummy = await dummyPasswordHash();
    expect(dummy.split('$').slice(0, 4)).toEqual(real.split('$').slice(0, 4));
    expect(dummy.split('$')[5].length).toBe(real.split('$')[5].length);
  });

  it('revokes API tokens on a password reset and on disable; an admin lists and revokes a user’s tokens', async () => {
    const u = await createUser(t.db, { email: 'tok@h.dev', name: 'tok', role: 'annotator', password: 'tok-password' });
    const a = await createApiToken(t.db, u.id, 'a');
    // Each token is used first, so that the auth cache holds it when it is revoked.
    expect((await userForApiToken(t.db, a.token))?.id).toBe(u.id);
    await updateUser(t.db, u.id, { password: 'new-password-1' });
    expect(await userForApiToken(t.db, a.token)).toBeNull();
    const b = await createApiToken(t.db, u.id, 'b');
    expect((await userForApiToken(t.db, b.token))?.id).toBe(u.id);
    await updateUser(t.db, u.id, { disabled: true });
    await updateUser(t.db, u.id, { disabled: false });
    expect(await userForApiToken(t.db, b.token)).toBeNull();

    const c = await createApiToken(t.db, u.id, 'c');
    expect((await userForApiToken(t.db, c.token))?.id).toBe(u.id);
    const list = await import('../app/api/admin/users/[id]/tokens/route.ts');
    const revoke = await import('../app/api/admin/users/[id]/tokens/[tokenId]/route.ts');
    expect((await call(list.GET, '/x', { token: tokens.lead, params: { id: String(u.id) } })).status).toBe(403);
    const listed = await call(list.GET, '/x', { token: tokens.admin, params: { id: String(u.id) } });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens.map((x: { name: string }) => x.name)).toEqual(['c']);
    expect(JSON.stringify(listed.body)).not.toContain(c.token);
    expect((await call(revoke.DELETE, '/x', { method: 'DELETE', token: tokens.admin, params: { id: String(u.id), tokenId: String(c.id) } })).status).toBe(204);
    expect(await userForApiToken(t.db, c.token)).toBeNull();
    expect((await call(revoke.DELETE, '/x', { method: 'DELETE', token: tokens.admin, params: { id: String(ids.lead), tokenId: String(c.id) } })).status).toBe(404);
    expect((await call(list.GET, '/x', { token: tokens.admin, params: { id: '999999' } })).status).toBe(404);
  });

  it('a cached token loses its role at once when changed here, and within the cache’s lifetime when changed by another process', async () => {
    const u = await createUser(t.db, { email: 'cached@h.dev', name: 'cached', role: 'lead', password: 'cached-password' });
    const d = await createApiToken(t.db, u.id, 'd');
    expect((await userForApiToken(t.db, d.token))?.role).toBe('lead');
    await updateUser(t.db, u.id, { role: 'annotator' });
    expect((await userForApiToken(t.db, d.token))?.role).toBe('annotator');
    // The CLI revokes in its own process: this process still has the token cached…
    await t.db.apiToken.update({ where: { id: d.id }, data: { revokedAt: new Date() } });
    const cache = authCache();
    const clock = cache.now;
    try {
      expect((await userForApiToken(t.db, d.token))?.id).toBe(u.id);
      // …until the entry's lifetime has passed.
      const at = clock();
      cache.now = () => at + cache.ttlMs;
      expect(await userForApiToken(t.db, d.token)).toBeNull();
    } finally {
      cache.now = clock;
    }
  });

  it('undo with an operation id is idempotent; a clientId reused for another item is a 409', async () => {
    const phaseId = await queuePhase(t.db, `undo-${provider}`, Array.from({ length: 6 }, (_, i) => `undo text number ${i}`));
    const userId = ids.annotator;
    const batch = await nextItems(t.db, { phaseId, userId, limit: 3 });
    const [x, y] = batch.items;
    await submit(t.db, { phaseId, userId, itemId: x.itemId, clientId: `u-${provider}-1`, action: 'label', label: 'safe' });
    await submit(t.db, { phaseId, userId, itemId: y.itemId, clientId: `u-${provider}-2`, action: 'label', label: 'offensive' });
    const first = await undo(t.db, { phaseId, userId, opId: `undo-${provider}-A` });
    expect(first.undone.label).toBe('offensive');
    // The response was lost; the client retries the same operation.
    const retry = await undo(t.db, { phaseId, userId, opId: `undo-${provider}-A` });
    expect(retry).toMatchObject({ duplicate: true, undone: { id: first.undone.id } });
    const live = await t.db.annotation.findMany({ where: { phaseId, userId, undoneAt: null } });
    expect(live.map((a) => a.itemId)).toEqual([x.itemId]);
    // Through the route, body { opId }.
    const undoRoute = await import('../app/api/phases/[id]/annotations/undo/route.ts');
    const viaRoute = await call(undoRoute.POST, '/x', { token: tokens.annotator, params: { id: String(phaseId) }, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ opId: `undo-${provider}-A` }) });
    expect(viaRoute.status).toBe(200);
    expect(viaRoute.body.duplicate).toBe(true);
    expect(await t.db.annotation.count({ where: { phaseId, userId, undoneAt: null } })).toBe(1);

    // clientId reuse: the same id for another item is refused, not "duplicate".
    const annotations = await import('../app/api/phases/[id]/annotations/route.ts');
    const again = await call(annotations.POST, '/x', {
      token: tokens.annotator,
      params: { id: String(phaseId) },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ itemId: y.itemId, clientId: `u-${provider}-1`, action: 'label', label: 'safe' }),
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toContain(`already used for item ${x.itemId}`);
    // The true retry (same item) is still a duplicate.
    const dup = await submit(t.db, { phaseId, userId, itemId: x.itemId, clientId: `u-${provider}-1`, action: 'label', label: 'safe' });
    expect(dup.duplicate).toBe(true);
  });

  it('does not extend held leases when the annotator polls', async () => {
    const phaseId = await queuePhase(t.db, `poll-${provider}`, Array.from({ length: 30 }, (_, i) => `poll text number ${i}`));
    const userId = ids.lead;
    const first = await nextItems(t.db, { phaseId, userId, limit: 20, leaseMs: 60_000 });
    expect(first.items).toHaveLength(20);
    const before = await t.db.annotationLease.findMany({ where: { phaseId, userId }, orderBy: { itemId: 'asc' } });
    // Polling with limit=1 and a far longer TTL must not push every held lease out.
    for (let i = 0; i < 3; i++) await nextItems(t.db, { phaseId, userId, limit: 1, leaseMs: 3_600_000 });
    const after = await t.db.annotationLease.findMany({ where: { phaseId, userId }, orderBy: { itemId: 'asc' } });
    expect(after.map((l) => l.expiresAt.getTime())).toEqual(before.map((l) => l.expiresAt.getTime()));
    expect(after.every((l) => l.expiresAt.getTime() < Date.now() + 120_000)).toBe(true);
    // Holding 20, asking for 30 tops up to 30 at most: held leases are capped by the batch size.
    const more = await nextItems(t.db, { phaseId, userId, limit: 100, leaseMs: 60_000 });
    expect(more.items.length).toBeLessThanOrEqual(100);
    await expect(nextItems(t.db, { phaseId, userId, limit: 101 })).rejects.toMatchObject({ status: 400 });
  });

  it('neutralises formula cells in the CSV export', async () => {
    const texts = ['=HYPERLINK("http://evil.example","x")', '+1+2', '-3+4', '@SUM(A1)', '\tindent', 'plain text'];
    const phaseId = await queuePhase(t.db, `csv-${provider}`, texts);
    const userId = ids.admin;
    const { items } = await nextItems(t.db, { phaseId, userId, limit: 10 });
    for (const [i, it] of items.entries()) await submit(t.db, { phaseId, userId, itemId: it.itemId, clientId: `csv-${provider}-${i}`, action: 'label', label: 'safe' });
    let csv = '';
    for await (const chunk of exportLabels(t.db, phaseId, 'csv')) csv += chunk;
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv).toContain(",'+1+2,");
    expect(csv).toContain(",'-3+4,");
    expect(csv).toContain(",'@SUM(A1),");
    expect(csv).toContain(`,"'\tindent",`);
    expect(csv).toContain(',plain text,');
    // Every data cell in the text column is safe to open in a spreadsheet.
    let jsonl = '';
    for await (const chunk of exportLabels(t.db, phaseId, 'jsonl')) jsonl += chunk;
    expect(jsonl).toContain('"text":"=HYPERLINK(');
  });

  it('answers a failed import with its 4xx status unless the client asks for the NDJSON stream; caps uploads and texts', async () => {
    const phaseId = await queuePhase(t.db, `imp-${provider}`, ['seed text one']);
    const route = await import('../app/api/phases/[id]/import/route.ts');
    const bad = 'id,text,label\nx1,hello there,nonsense\n';
    const plain = await call(route.POST, `/api/phases/${phaseId}/import?format=csv`, { token: tokens.lead, params: { id: String(phaseId) }, headers: { 'content-type': 'text/csv' }, body: bad });
    expect(plain.status).toBe(422);
    expect(plain.body.details.invalid.errors[0]).toMatchObject({ line: 2 });
    const streamed = await call(route.POST, `/api/phases/${phaseId}/import?format=csv`, { token: tokens.lead, params: { id: String(phaseId) }, headers: { 'content-type': 'text/csv', accept: 'application/x-ndjson' }, body: bad });
    expect(streamed.status).toBe(200);
    expect(JSON.parse(String(streamed.body).trim().split('\n').pop()!)).toMatchObject({ type: 'error', status: 422 });
    const good = await call(route.POST, `/api/phases/${phaseId}/import?format=csv`, { token: tokens.lead, params: { id: String(phaseId) }, headers: { 'content-type': 'text/csv' }, body: 'id,text\ng1,a good new text\n' });
    expect(good.status).toBe(200);
    expect(good.body.report.imported).toBe(1);

    process.env.DISTILLERY_IMPORT_MAX_BYTES = '64';
    try {
      const big = 'id,text\n' + Array.from({ length: 10 }, (_, i) => `b${i},another text number ${i}`).join('\n');
      const res = await call(route.POST, `/api/phases/${phaseId}/import?format=csv`, { token: tokens.lead, params: { id: String(phaseId) }, headers: { 'content-type': 'text/csv' }, body: big });
      expect(res.status).toBe(413);
    } finally {
      delete process.env.DISTILLERY_IMPORT_MAX_BYTES;
    }

    // A 10 MB quoted field on one line, and a text over the cap: invalid rows, nothing imported.
    const huge = join(dir, `huge-${provider}.csv`);
    writeFileSync(huge, `id,text\nh1,"${'y'.repeat(10 * 1024 * 1024)}"\nh2,${'z'.repeat(MAX_TEXT_CHARS + 1)}\n`);
    const e = await importFile(t.db, { phaseId, path: huge, format: 'csv' }).then(() => null, (x) => x);
    expect(e).toMatchObject({ status: 422 });
    const reasons = (e.details.invalid.errors as { line: number; reason: string }[]).map((r) => `${r.line}: ${r.reason}`);
    expect(reasons).toEqual([`2: record is longer than 1 MiB`, `3: text is longer than 100,000 characters (${(MAX_TEXT_CHARS + 1).toLocaleString('en-US')})`]);
  });

  it('gives two concurrent imports into one phase distinct ordinals', async () => {
    const phaseId = await queuePhase(t.db, `conc-${provider}`, ['seed text for the phase']);
    const files = ['a', 'b'].map((k) => {
      const path = join(dir, `conc-${provider}-${k}.csv`);
      writeFileSync(path, 'id,text\n' + Array.from({ length: 3000 }, (_, i) => `${k}${i},text ${k} number ${i}`).join('\n') + '\n');
      return path;
    });
    const reports = await Promise.all(files.map((path) => importFile(t.db, { phaseId, path, format: 'csv', batchSize: 250 })));
    expect(reports.map((r) => r.imported)).toEqual([3000, 3000]);
    const rows = await t.db.item.findMany({ where: { phaseId }, select: { ordinal: true, externalId: true }, orderBy: { ordinal: 'asc' } });
    expect(rows).toHaveLength(6001);
    expect(new Set(rows.map((r) => r.ordinal)).size).toBe(6001);
    // Each file's rows keep their file order, one file after the other.
    const firstOfB = rows.findIndex((r) => r.externalId?.startsWith('b'));
    const firstOfA = rows.findIndex((r) => r.externalId?.startsWith('a'));
    const [early] = firstOfA < firstOfB ? ['a'] : ['b'];
    expect(rows.slice(1, 3001).every((r) => r.externalId?.startsWith(early))).toBe(true);
    expect(await t.db.phaseLock.count()).toBe(0);
  });
});
