/**
 * Shipping a student end to end through the HTTP handlers, on real databases, real ONNX models
 * and onnxruntime-node: approve (leads only, audit-logged), one-click deploy that switches the
 * live model atomically, predict API with the model version, canary and promote, rollback, and a
 * deploy in the middle of concurrent traffic that drops no request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { addStudent } from './helpers/students.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { readCold } from '../lib/datasets/cold.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { artifactStore } from '../lib/artifacts/store.ts';
import { decide, phaseMeta } from '../lib/tasks/phase.ts';
import { loadPhaseRows } from '../lib/tasks/items.ts';
import { resetPredictService } from '../lib/serving/predict.ts';
import { runCli } from '../lib/cli/cli.ts';
import { PREDICT_EXAMPLE } from '../lib/openapi/document.ts';
import { predictResponseSchema } from '../lib/serving/schemas.ts';
import { matchFast, serveFast } from '../lib/http/fast.ts';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

process.env.DISTILLERY_DATA_DIR = mkdtempSync(join(tmpdir(), 'distillery-ship-'));

type Handler = (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
const call = async (handler: Handler, url: string, init: { token?: string; method?: string; body?: unknown; params?: Record<string, string> } = {}) => {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: res.status === 204 ? null : type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
};

const TEXTS = ['你好，这是一条普通的评论', '地域黑滚出去', 'iPhone12 真的好用吗？', '😂😂 哈哈', ''];

describe.each(providers)('shipping a student on %s', (provider) => {
  let t: TestDatabase;
  let phaseId: number;
  let m1: number;
  let m2: number;
  const tokens: Record<string, string> = {};
  const routes = {} as Record<string, { GET?: Handler; POST?: Handler; DELETE?: Handler }>;

  beforeAll(async () => {
    t = await freshDatabase(provider);
    process.env.DATABASE_URL = t.url;
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    // Both ways of serving: on PostgreSQL each model's session runs on its own thread (as under
    // `npm start`, server.ts), on SQLite on the event loop's thread (as under `next start`).
    process.env.SERVE_INFERENCE_THREAD = provider === 'postgres' ? '1' : '';
    await resetPredictService();
    for (const role of ['annotator', 'lead'] as const) {
      const u = await createUser(t.db, { email: `${role}@t.dev`, name: role, role, password: `${role}-password` });
      tokens[role] = (await createApiToken(t.db, u.id, 'all')).token;
      tokens[`${role}-predict`] = (await createApiToken(t.db, u.id, 'svc', ['predict'])).token;
    }
    const task = await createTask(t.db, { slug: 'cold', name: 'cold', phases: [{ key: 'offensive', name: 'Offensive?', labels: ['safe', 'offensive'], threshold: 0.3, positiveLabel: 'offensive' }] });
    phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    const cold = (await readCold()).slice(0, 400);
    await importFile(t.db, {
      phaseId,
      format: 'jsonl',
      stream: async function* () {
        yield cold.map((r, i) => JSON.stringify({ id: r.id, text: r.text, time: i, label: i % 3 === 0 ? (r.offensive ? 'offensive' : 'safe') : undefined })).join('\n') + '\n';
      },
    });
    m1 = await addStudent(t.db, phaseId, 1);
    m2 = await addStudent(t.db, phaseId, 2);
    for (const [name, path] of Object.entries({
      models: 'models/route.ts', flips: 'models/[id]/flips/route.ts', flipsQueue: 'models/[id]/flips/queue/route.ts', download: 'models/[id]/download/route.ts', throughput: 'models/[id]/throughput/route.ts', teacher: 'models/[id]/teacher/route.ts', model: 'models/[id]/route.ts', approve: 'models/[id]/approve/route.ts', reject: 'models/[id]/reject/route.ts', deploy: 'models/[id]/deploy/route.ts',
      rollback: 'phases/[id]/rollback/route.ts', promote: 'phases/[id]/promote/route.ts', deployments: 'phases/[id]/deployments/route.ts', predict: 'v1/phases/[id]/predict/route.ts', multi: 'v1/predict/route.ts',
    })) routes[name] = await import(`../app/api/${path}`);
  });
  afterAll(async () => {
    delete process.env.SERVE_INFERENCE_THREAD;
    await resetPredictService();
    await t?.drop();
  });

  const predict = (texts: string[], token = tokens['lead-predict'], priority?: string) => call(routes.predict.POST!, `/api/v1/phases/${phaseId}/predict`, { token, body: { texts, priority }, params: { id: String(phaseId) } });

  it('lets only leads approve and deploy; an approval is audit-logged with who, when and the note', async () => {
    const id = String(m1);
    expect((await call(routes.approve.POST!, `/api/models/${id}/approve`, { token: tokens.annotator, body: { note: 'x' }, params: { id } })).status).toBe(403);
    expect((await call(routes.deploy.POST!, `/api/models/${id}/deploy`, { token: tokens.annotator, body: {}, params: { id } })).status).toBe(403);
    expect((await call(routes.rollback.POST!, `/api/phases/${phaseId}/rollback`, { token: tokens.annotator, body: {}, params: { id: String(phaseId) } })).status).toBe(403);
    // A lead's predict-only token cannot deploy either.
    expect((await call(routes.deploy.POST!, `/api/models/${id}/deploy`, { token: tokens['lead-predict'], body: {}, params: { id } })).status).toBe(403);
    const early = await call(routes.deploy.POST!, `/api/models/${id}/deploy`, { token: tokens.lead, body: {}, params: { id } });
    expect(early).toMatchObject({ status: 409, body: { error: 'a candidate model cannot be deployed: approve it first' } });

    const ok = await call(routes.approve.POST!, `/api/models/${id}/approve`, { token: tokens.lead, body: { note: 'flip set looks fine' }, params: { id } });
    expect(ok).toEqual({ status: 200, body: { id: m1, status: 'approved' } });
    const view = await call(routes.model.GET!, `/api/models/${id}`, { token: tokens.annotator, params: { id } });
    expect(view.body.model).toMatchObject({ status: 'approved', reviewNote: 'flip set looks fine', approvedBy: { name: 'lead' }, version: `p${phaseId}.r0` });
    expect(view.body.card).toContain('# Student model');
    expect(view.body.history[0]).toMatchObject({ action: 'model.approve', by: 'lead', note: 'flip set looks fine' });
    const log = await t.db.auditLog.findFirstOrThrow({ where: { action: 'model.approve' } });
    expect(log.userId).toBe((await t.db.user.findUniqueOrThrow({ where: { email: 'lead@t.dev' } })).id);
  });

  it('has no live model before a deploy (409), then serves labels by the phase rule, probabilities by label and the version', async () => {
    expect((await predict(['x'])).status).toBe(409);
    const d = await call(routes.deploy.POST!, `/api/models/${m1}/deploy`, { token: tokens.lead, body: { note: 'first' }, params: { id: String(m1) } });
    expect(d.body).toMatchObject({ kind: 'live', version: `p${phaseId}.r0` });
    const res = await predict(TEXTS);
    expect(res.status).toBe(200);
    expect(res.body.modelVersion).toBe(`p${phaseId}.r0`);
    const m = await t.db.studentModel.findUniqueOrThrow({ where: { id: m1 } });
    const student = await OnnxStudent.load(new Uint8Array((await artifactStore(t.db).get(`${m.artifactKey}/student.onnx`))!));
    const direct = (await student.predict(TEXTS)).probs;
    await student.release();
    const labels = decide(await phaseMeta(t.db, phaseId), direct);
    res.body.results.forEach((r: { label: string; probs: Record<string, number>; modelVersion: string }, i: number) => {
      expect(r.modelVersion).toBe(`p${phaseId}.r0`);
      expect(Math.abs(r.probs.safe - direct[2 * i])).toBeLessThan(1e-6);
      expect(Math.abs(r.probs.offensive - direct[2 * i + 1])).toBeLessThan(1e-6);
      expect(r.label).toBe(['safe', 'offensive'][labels[i]]);
    });
    // The phase's threshold (0.3 on P(offensive)), not argmax, decides.
    expect(Array.from(labels)).toEqual(TEXTS.map((_, i) => (direct[2 * i + 1] >= 0.3 ? 1 : 0)));
    // Token rules: predict scope needed; an annotator's predict token may call it, an annotator's full token too (it has the scope).
    expect((await predict(['x'], tokens['annotator-predict'])).status).toBe(200);
    const noScope = (await createApiToken(t.db, (await t.db.user.findUniqueOrThrow({ where: { email: 'lead@t.dev' } })).id, 'readonly', ['read'])).token;
    expect((await predict(['x'], noScope)).status).toBe(403);
    // A predict-only token reaches nothing else: not even reading the registry.
    expect((await call(routes.models.GET!, '/api/models', { token: tokens['lead-predict'] })).status).toBe(403);
    expect((await call(routes.models.GET!, '/api/models', { token: noScope })).status).toBe(200);
    expect((await predict([])).status).toBe(400);
    // The OpenAPI document's example runs as shown and its answer has the documented shape.
    const example = await predict(PREDICT_EXAMPLE.texts);
    expect(predictResponseSchema.parse(example.body).results).toHaveLength(PREDICT_EXAMPLE.texts.length);
    // Several phases by key at once.
    const multi = await call(routes.multi.POST!, '/api/v1/predict', { token: tokens['lead-predict'], body: { phases: ['cold/offensive', String(phaseId)], texts: ['a'] } });
    expect(Object.keys(multi.body.results).sort()).toEqual([String(phaseId), 'cold/offensive']);
    expect(multi.body.results['cold/offensive'].results[0].modelVersion).toBe(`p${phaseId}.r0`);
  });

  it('answers Bearer-token predict calls on the console server’s fast path exactly as the Next routes do', async () => {
    // The fast path (server.ts) on a plain node:http server, next to the route handlers.
    const server = createServer((req, res) => {
      const fast = matchFast(req);
      if (fast) void serveFast(fast, req, res, { headers: { 'x-frame-options': 'DENY' } });
      else res.writeHead(418).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const noScope = (await createApiToken(t.db, (await t.db.user.findUniqueOrThrow({ where: { email: 'lead@t.dev' } })).id, 'readonly', ['read'])).token;
    const raw = async (path: string, token: string, body: string) => {
      const r = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      return { status: r.status, body: await r.json(), frame: r.headers.get('x-frame-options') };
    };
    const viaRoute = async (path: string, token: string, body: string, id?: string) => {
      const req = new NextRequest(new URL(path, 'http://localhost'), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const params: Record<string, string> = id === undefined ? {} : { id };
      const res = await (id === undefined ? routes.multi : routes.predict).POST!(req, { params: Promise.resolve(params) });
      return { status: res.status, body: await res.json() };
    };
    try {
      const one = `/api/v1/phases/${phaseId}/predict`;
      const cases: [string, string, string, string | undefined][] = [
        [one, tokens['lead-predict'], JSON.stringify({ texts: TEXTS, priority: 'high' }), String(phaseId)],
        [one, tokens['annotator-predict'], JSON.stringify({ texts: ['x'] }), String(phaseId)],
        [one, 'not-a-token', JSON.stringify({ texts: ['x'] }), String(phaseId)],
        [one, noScope, JSON.stringify({ texts: ['x'] }), String(phaseId)],
        [one, tokens['lead-predict'], JSON.stringify({ texts: [] }), String(phaseId)],
        [one, tokens['lead-predict'], '{"texts": [', String(phaseId)],
        [one, tokens['lead-predict'], JSON.stringify({ texts: ['x'.repeat(1024 * 1024)] }), String(phaseId)],
        [one, tokens['lead-predict'], '['.repeat(100) + ']'.repeat(100), String(phaseId)],
        ['/api/v1/phases/abc/predict', tokens['lead-predict'], JSON.stringify({ texts: ['x'] }), 'abc'],
        ['/api/v1/phases/999999/predict', tokens['lead-predict'], JSON.stringify({ texts: ['x'] }), '999999'],
        ['/api/v1/predict', tokens['lead-predict'], JSON.stringify({ phases: ['cold/offensive', String(phaseId)], texts: TEXTS }), undefined],
        ['/api/v1/predict', tokens['lead-predict'], JSON.stringify({ phases: ['cold/nope'], texts: ['x'] }), undefined],
      ];
      const statuses = [];
      for (const [path, token, body, id] of cases) {
        const [fast, next] = [await raw(path, token, body), await viaRoute(path, token, body, id)];
        expect({ path, token, sent: body.slice(0, 60), status: fast.status, body: fast.body }).toEqual({ path, token, sent: body.slice(0, 60), ...next });
        expect(fast.frame).toBe('DENY');
        statuses.push(fast.status);
      }
      expect(statuses).toEqual([200, 200, 401, 403, 400, 400, 413, 400, 400, 404, 200, 404]);
      // Only POSTs to the two predict paths take the fast path here (cookie calls too: the same checks run).
      const probe = (method: string, url: string) => matchFast({ method, url } as IncomingMessage)?.route.endpoint ?? null;
      expect(probe('POST', one)).not.toBeNull();
      expect(probe('POST', `${one}?debug=1`)).not.toBeNull();
      expect(probe('GET', one)).toBeNull();
      expect(probe('POST', `/api/models/1/deploy`)).toBeNull();
      expect(probe('POST', `/api/v1/phases/${phaseId}/predict/x`)).toBeNull();
    } finally {
      server.close();
    }
  });

  it('reviews the flip set of a candidate against the deployed model and sends the unlabelled flips to the front of the queue', async () => {
    const phase = await phaseMeta(t.db, phaseId);
    const rows = await loadPhaseRows(t.db, phase, 'all');
    const load = async (id: number) => OnnxStudent.load(new Uint8Array((await artifactStore(t.db).get(`${(await t.db.studentModel.findUniqueOrThrow({ where: { id } })).artifactKey}/student.onnx`))!));
    const [a, b] = await Promise.all([load(m2), load(m1)]);
    const la = decide(phase, (await a.predict(rows.texts)).probs);
    const lb = decide(phase, (await b.predict(rows.texts)).probs);
    await Promise.all([a.release(), b.release()]);
    let testFlips = 0, fixes = 0, breaks = 0;
    for (let i = 0; i < rows.ids.length; i++) {
      if (!rows.test[i] || la[i] === lb[i]) continue;
      testFlips++;
      if (rows.human[i] === la[i]) fixes++;
      if (rows.human[i] === lb[i]) breaks++;
    }
    const set = await call(routes.flips.GET!, '', { token: tokens.lead, params: { id: String(m2) } });
    expect(set.body.against).toEqual({ modelId: m1, version: `p${phaseId}.r0` });
    expect(set.body.counts.test).toMatchObject({ items: rows.test.reduce((x, y) => x + y, 0), flips: testFlips, fixes, breaks });
    expect(set.body.counts.pool.items).toBe(rows.ids.length - set.body.counts.test.items);
    expect(testFlips + set.body.counts.pool.flips).toBeGreaterThan(0);
    const f = set.body.flips[0];
    expect(f.candidate.label).not.toBe(f.deployed.label);
    expect((await call(routes.flips.GET!, '', { token: tokens.annotator, params: { id: String(m2) } })).status).toBe(403);

    const sent = await call(routes.flipsQueue.POST!, '', { token: tokens.lead, params: { id: String(m2) } });
    const unlabelled = set.body.counts.test.unlabelled + set.body.counts.pool.unlabelled;
    expect(sent.body.queued).toBe(unlabelled);
    const front = await t.db.queueEntry.findMany({ where: { phaseId }, orderBy: { rank: 'asc' }, take: unlabelled });
    const flipIds = new Set(set.body.flips.filter((x: { effect: string }) => x.effect === 'unlabelled').map((x: { itemId: number }) => x.itemId));
    expect(front.every((e) => flipIds.has(e.itemId))).toBe(true);
  });

  it('switches live atomically on deploy, retires the old model, and rolls back in one click', async () => {
    await call(routes.approve.POST!, '', { token: tokens.lead, body: {}, params: { id: String(m2) } });
    await call(routes.deploy.POST!, '', { token: tokens.lead, body: { note: 'second' }, params: { id: String(m2) } });
    expect((await predict(['x'])).body.modelVersion).toBe(`p${phaseId}.r1`);
    expect((await t.db.studentModel.findUniqueOrThrow({ where: { id: m1 } })).status).toBe('retired');
    expect(await t.db.deployment.count({ where: { phaseId, kind: 'live', rolledBackAt: null } })).toBe(1);

    const rb = await call(routes.rollback.POST!, '', { token: tokens.lead, body: { note: 'worse on region' }, params: { id: String(phaseId) } });
    expect(rb.body).toMatchObject({ modelId: m1, rolledBackModelId: m2, version: `p${phaseId}.r0` });
    expect((await predict(['x'])).body.modelVersion).toBe(`p${phaseId}.r0`);
    expect((await t.db.studentModel.findUniqueOrThrow({ where: { id: m2 } })).status).toBe('retired');
    expect((await t.db.auditLog.findFirstOrThrow({ where: { action: 'model.rollback' } })).details).toContain('worse on region');

    // A rollback made by another copy of lib/ (Next bundles each route with its own; server.ts loads
    // one more) reaches this process's predict service at once, not after its state TTL.
    await call(routes.deploy.POST!, '', { token: tokens.lead, body: {}, params: { id: String(m2) } });
    expect((await predict(['x'])).body.modelVersion).toBe(`p${phaseId}.r1`);
    vi.resetModules();
    const otherCopy = await import('../lib/models/deploy.ts');
    await otherCopy.rollback(t.db, { phaseId, actor: { id: (await t.db.user.findUniqueOrThrow({ where: { email: 'lead@t.dev' } })).id } });
    expect((await predict(['x'])).body.modelVersion).toBe(`p${phaseId}.r0`);
  });

  it('runs a 50 % canary with live agreement counted, then promotes it', async () => {
    const c = await call(routes.deploy.POST!, '', { token: tokens.lead, body: { kind: 'canary', share: 0.5 }, params: { id: String(m2) } });
    expect(c.body).toMatchObject({ kind: 'canary', share: 0.5 });
    const served: string[] = [];
    for (let i = 0; i < 10; i++) served.push((await predict(TEXTS)).body.servedBy);
    expect(served.filter((s) => s === 'canary')).toHaveLength(5);
    const status = await call(routes.deployments.GET!, '', { token: tokens.annotator, params: { id: String(phaseId) } });
    expect(status.body.serving.canary).toMatchObject({ modelId: m2, share: 0.5 });
    expect(status.body.serving.canaryStats).toMatchObject({ requests: 5, compared: 5 * TEXTS.length });
    expect(status.body.serving.canaryStats.agree).toBeGreaterThanOrEqual(0);
    const p = await call(routes.promote.POST!, '', { token: tokens.lead, body: {}, params: { id: String(phaseId) } });
    expect(p.body).toMatchObject({ modelId: m2, kind: 'live' });
    const after = await predict(TEXTS);
    expect(after.body).toMatchObject({ servedBy: 'live', modelVersion: `p${phaseId}.r1` });

    // Shadow: the retired model scores live traffic after the answer; its flip rate is counted, it never answers.
    const sh = await call(routes.deploy.POST!, '', { token: tokens.lead, body: { kind: 'shadow' }, params: { id: String(m1) } });
    expect(sh.body).toMatchObject({ kind: 'shadow', modelId: m1 });
    for (let i = 0; i < 4; i++) expect((await predict(TEXTS)).body).toMatchObject({ servedBy: 'live', modelVersion: `p${phaseId}.r1` });
    let stats: { requests: number; compared: number; agree: number } | null = null;
    for (let i = 0; i < 200 && (stats?.requests ?? 0) < 4; i++) {
      stats = (await call(routes.deployments.GET!, '', { token: tokens.annotator, params: { id: String(phaseId) } })).body.serving.shadowStats;
      await new Promise((r) => setImmediate(r));
    }
    expect(stats).toMatchObject({ requests: 4, compared: 4 * TEXTS.length });
    const stop = await call(routes.deployments.DELETE!, '', { method: 'DELETE', token: tokens.lead, body: { kind: 'shadow' }, params: { id: String(phaseId) } });
    expect(stop.status).toBe(200);
    expect((await call(routes.deployments.GET!, '', { token: tokens.annotator, params: { id: String(phaseId) } })).body.serving.shadow).toBeNull();
    expect((await t.db.studentModel.findUniqueOrThrow({ where: { id: m1 } })).status).toBe('retired');
  });

  it('drops no request when the live model switches in the middle of concurrent traffic', async () => {
    const inFlight = Array.from({ length: 120 }, (_, i) => predict([TEXTS[i % TEXTS.length], `第${i}条`], tokens['lead-predict'], i % 3 === 0 ? 'high' : 'normal'));
    const rb = call(routes.rollback.POST!, '', { token: tokens.lead, body: {}, params: { id: String(phaseId) } });
    const more = Array.from({ length: 120 }, (_, i) => predict([`再来${i}`]));
    const all = await Promise.all([...inFlight, ...more]);
    expect((await rb).status).toBe(200);
    expect(all.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const versions = new Set(all.map((r) => r.body.modelVersion));
    for (const v of versions) expect([`p${phaseId}.r0`, `p${phaseId}.r1`]).toContain(v);
    expect((await predict(['x'])).body.modelVersion).toBe(`p${phaseId}.r0`);
  });

  it('downloads one archive whose Node example reproduces the predict API’s probabilities', async () => {
    const live = (await predict(TEXTS)).body;
    const modelId = (await t.db.deployment.findFirstOrThrow({ where: { phaseId, kind: 'live', rolledBackAt: null } })).modelId;
    expect((await call(routes.download.GET!, '', { token: tokens.annotator, params: { id: String(modelId) } })).status).toBe(403);
    const res = await call(routes.download.GET!, '', { token: tokens.lead, params: { id: String(modelId) } });
    expect(res.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'distillery-download-'));
    writeFileSync(join(dir, 'model.tar.gz'), res.body as Buffer);
    execFileSync('tar', ['-xzf', join(dir, 'model.tar.gz'), '-C', dir]);
    const root = join(dir, `distillery-${live.modelVersion}`);
    expect(readdirSync(root).sort()).toEqual(['README.md', 'config.json', 'model-card.md', 'model.onnx', 'predict.mjs', 'predict.py', 'tokenizer.json', 'vocab.json']);
    symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules')); // where `npm install onnxruntime-node` would put it
    const out = execFileSync(process.execPath, [join(root, 'predict.mjs'), ...TEXTS.filter((x) => x)], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
    const expected = live.results.filter((_: unknown, i: number) => TEXTS[i]);
    expect(out).toHaveLength(expected.length);
    out.forEach((r, i) => {
      expect(r.label).toBe(expected[i].label);
      expect(r.modelVersion).toBe(live.modelVersion);
      for (const l of ['safe', 'offensive']) expect(Math.abs(r.probs[l] - expected[i].probs[l])).toBeLessThan(1e-5);
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('does the same from the CLI: model list/show/approve/deploy/rollback/download and predict', async () => {
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, t.db, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const m3 = await addStudent(t.db, phaseId, 3);
    expect((await run('model', 'list', '--phase', String(phaseId))).out).toContain(`p${phaseId}.r2`);
    expect((await run('model', 'approve', '--model', String(m3), '--user', 'annotator@t.dev'))).toMatchObject({ code: 1, err: expect.stringContaining('needs a lead') });
    expect((await run('model', 'approve', '--model', String(m3), '--user', 'lead@t.dev', '--note', 'from the cli')).out).toBe(`model ${m3}: approved`);
    expect((await run('model', 'deploy', '--model', String(m3), '--user', 'lead@t.dev')).out).toBe(`p${phaseId}.r2 is live for phase ${phaseId}`);
    const p = await run('predict', '--json', '--phase', String(phaseId), '你好', '滚');
    expect(JSON.parse(p.out)).toMatchObject({ modelVersion: `p${phaseId}.r2`, results: [{ modelVersion: `p${phaseId}.r2` }, { modelVersion: `p${phaseId}.r2` }] });
    const shown = await run('model', 'show', '--model', String(m3));
    expect(shown.out).toContain('model.deploy');
    expect(shown.out).toContain('from the cli');
    expect((await run('model', 'rollback', '--phase', String(phaseId), '--user', 'lead@t.dev')).out).toContain(`rolled back model ${m3}`);
    const file = join(mkdtempSync(join(tmpdir(), 'distillery-cli-')), 'm.tar.gz');
    expect((await run('model', 'download', '--model', String(m3), '--out', file)).code).toBe(0);
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })).toContain('model.onnx');
    expect((await run('token', 'create', '--email', 'lead@t.dev', '--scopes', 'predict,bogus')).code).toBe(2);
  });

  it('lists the registry with status and where each model serves', async () => {
    const list = await call(routes.models.GET!, `/api/models?phaseId=${phaseId}`, { token: tokens.annotator });
    const byId = new Map(list.body.models.map((m: { id: number }) => [m.id, m]));
    expect(byId.get(m1)).toMatchObject({ status: 'deployed', serving: { kind: 'live' } });
    expect(byId.get(m2)).toMatchObject({ status: 'retired', serving: null });
    // A retired student as a weighted teacher of its phase: its outputs over every item, recorded like a teacher's.
    expect((await call(routes.teacher.POST!, '', { token: tokens.lead, body: { weight: 0.5 }, params: { id: String(m2) } })).body).toMatchObject({ name: `student-p${phaseId}.r1`, weight: 0.5, items: await t.db.item.count({ where: { phaseId } }) });
    const teacher = await t.db.teacher.findFirstOrThrow({ where: { phaseId, name: `student-p${phaseId}.r1` } });
    expect(teacher.weight).toBe(0.5);
    const row = await t.db.teacherPrediction.findFirstOrThrow({ where: { teacherId: teacher.id } });
    const score = await t.db.studentScore.findUniqueOrThrow({ where: { itemId_modelId: { itemId: row.itemId, modelId: m2 } } });
    expect(Array.from(new Float32Array(new Uint8Array(row.probs).buffer))).toEqual(Array.from(new Float32Array(new Uint8Array(score.probs).buffer)));
    const candidate = await addStudent(t.db, phaseId, 9);
    expect((await call(routes.teacher.POST!, '', { token: tokens.lead, body: { weight: 1 }, params: { id: String(candidate) } })).status).toBe(409);
    // The throughput card: measured on demand (and on deploy), stored on the model.
    expect((await call(routes.throughput.POST!, '', { token: tokens.annotator, params: { id: String(m2) } })).status).toBe(403);
    const card = await call(routes.throughput.POST!, '', { token: tokens.lead, params: { id: String(m2) } });
    expect(card.body.batch.map((b: { size: number }) => b.size)).toEqual([1, 32, 256]);
    expect(card.body.batch.every((b: { itemsPerSecond: number }) => b.itemsPerSecond > 0)).toBe(true);
    expect(card.body.latencyMs.p99).toBeGreaterThanOrEqual(card.body.latencyMs.p50);
    expect((await call(routes.model.GET!, '', { token: tokens.annotator, params: { id: String(m2) } })).body.model.throughput).toEqual(card.body);
  });
});
