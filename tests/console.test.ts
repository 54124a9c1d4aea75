import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NextRequest } from 'next/server';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createApiToken, createUser, login, userForSession } from '../lib/auth/users.ts';
import { runCli } from '../lib/cli/cli.ts';
import { COLD_TASK } from '../lib/demo/cold-task.ts';
import { errorResponse } from '../lib/http/route.ts';
import { fromPrismaError } from '../lib/errors.ts';
import { EMPTY_UPLOAD, importUpload, parseImportQuery } from '../lib/import/upload.ts';

/** Points the console's process-wide database at a test database. */
function useDatabase(t: TestDatabase) {
  process.env.DATABASE_URL = t.url;
  (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
}

const call = async (handler: (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>, url: string, init: { token?: string; method?: string; body?: unknown; params?: Record<string, string> } = {}) => {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
};

describe.each(providers)('console on %s', (provider) => {
  let t: TestDatabase;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await freshDatabase(provider);
    useDatabase(t);
    for (const role of ['annotator', 'lead', 'admin'] as const) {
      const u = await createUser(t.db, { email: `${role}@t.dev`, name: role, role, password: `${role}-password` });
      tokens[role] = (await createApiToken(t.db, u.id, 'test')).token;
    }
  });
  afterAll(async () => {
    await t.drop();
  });

  it('logs in with the right password only, and the session resolves to the user', async () => {
    await expect(login(t.db, 'lead@t.dev', 'wrong-password')).rejects.toThrow('wrong email or password');
    await expect(login(t.db, 'nobody@t.dev', 'lead-password')).rejects.toThrow('wrong email or password');
    const { token, user } = await login(t.db, 'LEAD@t.dev ', 'lead-password');
    expect(user.role).toBe('lead');
    expect((await userForSession(t.db, token))?.email).toBe('lead@t.dev');
    expect(await userForSession(t.db, token + 'x')).toBeNull();
  });

  it('checks roles in the one route wrapper: 401 without auth, 403 for a lower role', async () => {
    const users = await import('../app/api/admin/users/route.ts');
    const tasks = await import('../app/api/tasks/route.ts');
    expect((await call(users.GET, '/api/admin/users')).status).toBe(401);
    expect((await call(users.GET, '/api/admin/users', { token: 'dt_bogus' })).status).toBe(401);
    const denied = await call(users.GET, '/api/admin/users', { token: tokens.annotator });
    expect(denied).toEqual({ status: 403, body: { error: 'this needs the admin role; you are annotator', code: 'forbidden' } });
    expect((await call(users.POST, '/api/admin/users', { token: tokens.lead, body: { email: 'x@t.dev', name: 'x', role: 'admin', password: 'password1' } })).status).toBe(403);
    expect((await call(tasks.POST, '/api/tasks', { token: tokens.annotator, body: COLD_TASK })).status).toBe(403);
    const ok = await call(users.GET, '/api/admin/users', { token: tokens.admin });
    expect(ok.status).toBe(200);
    expect(ok.body.users.map((u: { email: string }) => u.email)).toEqual(['annotator@t.dev', 'lead@t.dev', 'admin@t.dev']);
  });

  it('lets an admin create a user, with specific validation errors', async () => {
    const users = await import('../app/api/admin/users/route.ts');
    const bad = await call(users.POST, '/api/admin/users', { token: tokens.admin, body: { email: 'not-an-email', name: 'N', role: 'boss', password: 'short' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('email: email is not a valid address');
    expect(bad.body.error).toContain('password: password needs at least 8 characters');
    const created = await call(users.POST, '/api/admin/users', { token: tokens.admin, body: { email: 'New@t.dev', name: 'New', role: 'annotator', password: 'new-password' } });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ email: 'new@t.dev', role: 'annotator' });
    const dup = await call(users.POST, '/api/admin/users', { token: tokens.admin, body: { email: 'new@t.dev', name: 'New', role: 'annotator', password: 'new-password' } });
    expect(dup.status).toBe(409);
    expect((await login(t.db, 'new@t.dev', 'new-password')).user.role).toBe('annotator');
  });

  it('creates a task with phases through the API and lists it for annotators', async () => {
    const tasks = await import('../app/api/tasks/route.ts');
    const res = await call(tasks.POST, '/api/tasks', { token: tokens.lead, body: COLD_TASK });
    expect(res.status).toBe(201);
    const [p1, p2] = res.body.task.phases;
    expect(p1).toMatchObject({ key: 'offensive', labels: ['safe', 'offensive'], threshold: 0.5, positiveLabel: 'offensive', dependsOn: null });
    expect(p2).toMatchObject({ key: 'topic', dependsOn: { phaseId: p1.id, phaseKey: 'offensive', label: 'offensive' } });
    expect((await call(tasks.POST, '/api/tasks', { token: tokens.lead, body: COLD_TASK })).status).toBe(409);
    const list = await call(tasks.GET, '/api/tasks', { token: tokens.annotator });
    expect(list.body.tasks[0].phases.map((p: { stats: { items: number } }) => p.stats.items)).toEqual([0, 0]);
  });

  it('runs the CLI: task create from a spec file, tasks --json, user and token commands, clear errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...COLD_TASK, slug: 'cli-task' }));
    expect(await runCli(['task', 'create', '--spec', join(dir, 'spec.json')], t.db, io)).toBe(0);
    expect(out.pop()).toMatch(/^created task \d+ \(cli-task\) with phases \d+ offensive, \d+ topic$/);
    expect(await runCli(['tasks', '--json'], t.db, io)).toBe(0);
    expect(JSON.parse(out.pop()!).map((x: { slug: string }) => x.slug)).toContain('cli-task');
    expect(await runCli(['user', 'create', '--email', 'cli@t.dev', '--name', 'Cli', '--role', 'lead'], t.db, io)).toBe(0);
    expect(out.pop()).toMatch(/^created lead cli@t\.dev \(id \d+\), password: \S{12}$/);
    expect(await runCli(['token', 'create', '--email', 'cli@t.dev'], t.db, io)).toBe(0);
    expect(out.pop()).toMatch(/^dt_/);
    expect(await runCli(['user', 'set-role', '--email', 'cli@t.dev', '--role', 'king'], t.db, io)).toBe(2);
    expect(err.pop()).toContain('--role is annotator, lead or admin');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ slug: 'x', name: 'x', phases: [{ key: 'a', name: 'A', labels: ['only'] }] }));
    expect(await runCli(['task', 'create', '--spec', join(dir, 'bad.json')], t.db, io)).toBe(1);
    expect(err.pop()).toBe('error: phases.0.labels: a phase needs at least two labels');
    expect(await runCli(['items', '--phase', '999999'], t.db, io)).toBe(1);
    expect(err.pop()).toBe('error: phase 999999 not found');
  });

  it('answers an empty import upload with 400 and the reason, not 500', async () => {
    const imp = await import('../app/api/phases/[id]/import/route.ts');
    const phase = await t.db.phase.findFirstOrThrow();
    const none = await call(imp.POST as Parameters<typeof call>[0], `/api/phases/${phase.id}/import?filename=x.csv`, { token: tokens.lead, method: 'POST', params: { id: String(phase.id) } });
    expect(none).toEqual({ status: 400, body: { error: EMPTY_UPLOAD, code: 'bad_request' } });
    const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await expect(importUpload(t.db, phase.id, empty, parseImportQuery(new URLSearchParams('filename=x.jsonl')))).rejects.toMatchObject({ status: 400, message: EMPTY_UPLOAD });
  });

  it('maps Prisma not-found to 404 and unique violations to 409 in the one error mapper', async () => {
    const missing = await t.db.user.update({ where: { id: 999_999 }, data: { name: 'x' } }).catch((e: unknown) => e);
    const res404 = errorResponse(missing);
    expect(res404.status).toBe(404);
    expect(await res404.json()).toMatchObject({ code: 'not_found', error: 'User not found' });
    const dup = await t.db.user.create({ data: { email: 'lead@t.dev', name: 'again', role: 'lead', passwordHash: 'x' } }).catch((e: unknown) => e);
    const res409 = errorResponse(dup);
    expect(res409.status).toBe(409);
    expect(await res409.json()).toMatchObject({ code: 'conflict', error: 'a User with this email already exists', details: { fields: ['email'] } });
    expect(fromPrismaError(new Error('plain'))).toBeNull();
  });

  it('writes the same audit trail from the CLI (no signed-in user) as from the API (the user)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-audit-'));
    const io = { out: () => {}, err: () => {} };
    const since = (await t.db.auditLog.aggregate({ _max: { id: true } }))._max.id ?? 0;
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...COLD_TASK, slug: 'audited-cli' }));
    expect(await runCli(['task', 'create', '--spec', join(dir, 'spec.json')], t.db, io)).toBe(0);
    const task = await t.db.task.findUniqueOrThrow({ where: { slug: 'audited-cli' }, include: { phases: { orderBy: { position: 'asc' } } } });
    writeFileSync(join(dir, 'items.jsonl'), ['{"text":"first audited item"}', '{"text":"second audited item"}'].join('\n'));
    expect(await runCli(['import', '--phase', String(task.phases[0].id), join(dir, 'items.jsonl')], t.db, io)).toBe(0);
    expect(await runCli(['user', 'create', '--email', 'audited@t.dev', '--name', 'A', '--role', 'annotator'], t.db, io)).toBe(0);
    expect(await runCli(['user', 'set-role', '--email', 'audited@t.dev', '--role', 'lead'], t.db, io)).toBe(0);
    expect(await runCli(['token', 'create', '--email', 'audited@t.dev'], t.db, io)).toBe(0);
    const cli = await t.db.auditLog.findMany({ where: { id: { gt: since } }, orderBy: { id: 'asc' } });
    expect(cli.map((r) => [r.action, r.userId])).toEqual([
      ['task.create', null],
      ['phase.import', null],
      ['user.create', null],
      ['user.update', null],
      ['token.create', null],
    ]);
    expect(cli[0].target).toBe(`task:${task.id}`);
    expect(JSON.parse(cli[1].details!)).toEqual({ file: join(dir, 'items.jsonl'), imported: 2, invalid: 0, queueRebuildJob: expect.any(Number) });
    expect(JSON.parse(cli[3].details!)).toEqual({ role: 'lead', passwordChanged: false });

    const tasks = await import('../app/api/tasks/route.ts');
    expect((await call(tasks.POST, '/api/tasks', { token: tokens.lead, body: { ...COLD_TASK, slug: 'audited-api' } })).status).toBe(201);
    const lead = await t.db.user.findUniqueOrThrow({ where: { email: 'lead@t.dev' } });
    const api = await t.db.auditLog.findFirstOrThrow({ where: { action: 'task.create' }, orderBy: { id: 'desc' } });
    expect(api).toMatchObject({ userId: lead.id, details: JSON.stringify({ slug: 'audited-api' }) });
  });
});
