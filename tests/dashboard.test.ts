/**
 * The per-phase dashboard, round comparison and automatic rounds on real databases: COLD items
 * with a real teacher's outputs (an n-gram logistic regression trained on other COLD rows),
 * round 0 trained for real, an annotator's labels through the queue, a worker whose timer starts
 * round 1 by itself once enough labels arrived and then trains it; then the compare API and
 * `round compare` (one lib function), the dashboard API and `rounds --phase --json` (return on
 * labels, stopping signal), and who may do what.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/worker.ts';
import { callRoute, type RouteHandler } from './helpers/http.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { readCold } from '../lib/datasets/cold.ts';
import { phaseMeta } from '../lib/tasks/phase.ts';
import { loadPhaseRows } from '../lib/tasks/items.ts';
import { predictNgramTeacher, trainNgramTeacher } from '../lib/teachers/ngram.ts';
import { writeTeacherPredictions } from '../lib/teachers/outputs.ts';
import { getRound, startRound, cancelRound, ROUND_JOB } from '../lib/rounds/rounds.ts';
import { roundJob } from '../lib/rounds/handler.ts';
import { autoRoundSweep, newHumanLabels } from '../lib/rounds/auto.ts';
import { nextItems, submit } from '../lib/queue/annotate.ts';
import { runWorker } from '../lib/jobs/runner.ts';
import { runCli } from '../lib/cli/cli.ts';
import { taskOverview } from '../lib/tasks/overview.ts';

process.env.DISTILLERY_DATA_DIR = mkdtempSync(join(tmpdir(), 'distillery-dashboard-'));

const TINY = { model: { arch: 'textcnn', embeddingDim: 16, filters: 16, kernelSizes: [1, 2], maxLen: 64 }, train: { epochs: 2, seed: 5 }, warmStart: false };
const N = 700;

async function cli(argv: string[], db: TestDatabase['db']) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, db, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(providers)('dashboard, compare and automatic rounds on %s', (provider) => {
  let t: TestDatabase;
  let phaseId: number;
  let taskId: number;
  const tokens: Record<string, string> = {};
  let annotatorId = 0;
  const routes = {} as Record<'compare' | 'dashboard' | 'phase' | 'rounds' | 'overview', { GET?: RouteHandler; POST?: RouteHandler; PATCH?: RouteHandler }>;

  beforeAll(async () => {
    t = await freshDatabase(provider);
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    for (const role of ['annotator', 'lead'] as const) {
      const u = await createUser(t.db, { email: `${role}@t.dev`, name: `The ${role}`, role, password: `${role}-password` });
      tokens[role] = (await createApiToken(t.db, u.id, 'all')).token;
      if (role === 'annotator') annotatorId = u.id;
    }
    const task = await createTask(t.db, { slug: 'cold', name: 'COLD', phases: [{ key: 'offensive', name: 'Offensive?', labels: ['safe', 'offensive'], threshold: 0.5, positiveLabel: 'offensive', auditShare: 0 }] });
    taskId = task.id;
    phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId } })).id;
    const cold = (await readCold()).filter((r) => r.split === 'train');
    const pool = cold.slice(0, N);
    // Gold labels on a tenth of the pool and on the whole test slice (the newest tenth): the human labels rounds are measured against.
    await importFile(t.db, {
      phaseId,
      format: 'jsonl',
      stream: async function* () {
        yield pool.map((r, i) => JSON.stringify({ id: r.id, text: r.text, time: i, ...(i % 10 === 0 || i >= N * 0.9 ? { label: r.offensive ? 'offensive' : 'safe' } : {}) })).join('\n') + '\n';
      },
    });
    // A real teacher, trained on other COLD rows than the phase's.
    const teacherRows = cold.slice(N, N + 2000);
    const teacher = trainNgramTeacher(teacherRows.map((r) => r.text), Int32Array.from(teacherRows, (r) => (r.offensive ? 1 : 0)), 2, { epochs: 6, buckets: 1 << 16 });
    const rows = await loadPhaseRows(t.db, await phaseMeta(t.db, phaseId), 'all');
    await writeTeacherPredictions(t.db, { phaseId }, rows.ids, { probs: predictNgramTeacher(teacher, rows.texts), numClasses: 2, modelVersion: 'ngram@1' });
    for (const [name, path] of Object.entries({ compare: 'phases/[id]/rounds/compare/route.ts', dashboard: 'phases/[id]/dashboard/route.ts', phase: 'phases/[id]/route.ts', rounds: 'phases/[id]/rounds/route.ts', overview: 'tasks/[id]/overview/route.ts' })) {
      routes[name as keyof typeof routes] = await import(`../app/api/${path}`);
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('a worker starts a round by itself after N new human labels, with the last round’s config, and trains it', async () => {
    // One worker throughout: it trains round 0, checks on its timer, starts round 1 by itself and trains it.
    const stop = new AbortController();
    const logs: string[] = [];
    const worker = runWorker({
      database: t,
      workerId: 'auto-test',
      handlers: { [ROUND_JOB]: roundJob },
      periodic: [{ name: 'automatic rounds', everyMs: 100, run: async ({ db }) => ((await autoRoundSweep(db)).some((c) => c.started) ? 'started' : undefined) }],
      pollMs: 50,
      signal: stop.signal,
      log: (l) => logs.push(l),
    });
    const finished = (number: number) => async () => {
      const r = await t.db.round.findFirst({ where: { phaseId, number } });
      if (!r) return null;
      const v = await getRound(t.db, r.id);
      if (v.status === 'failed') throw new Error(`round ${number} failed: ${v.error}`);
      return v.status === 'succeeded' ? v : null;
    };
    const r0 = await startRound(t.db, { phaseId, config: TINY });
    await waitFor('round 0', finished(0), () => logs, 180_000, 200);

    // Only a lead turns automatic rounds on.
    const params = { id: String(phaseId) };
    expect((await callRoute(routes.phase.PATCH!, '/x', { token: tokens.annotator, method: 'PATCH', body: { autoRoundAfterLabels: 5 }, params })).status).toBe(403);
    expect((await callRoute(routes.phase.PATCH!, '/x', { token: tokens.lead, method: 'PATCH', body: { autoRoundAfterLabels: 0 }, params })).status).toBe(400);
    const on = await callRoute(routes.phase.PATCH!, '/x', { token: tokens.lead, method: 'PATCH', body: { autoRoundAfterLabels: 5 }, params });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.phase.autoRoundAfterLabels).toBe(5);
    expect(on.body.rebuilt).toBeNull(); // not a ranking setting: the queue stays as it is

    // An annotator labels 4 items: not yet due.
    const batch = await nextItems(t.db, { phaseId, userId: annotatorId, limit: 5 });
    expect(batch.items).toHaveLength(5);
    const answer = (k: number) => submit(t.db, { phaseId, userId: annotatorId, itemId: batch.items[k].itemId, clientId: `c${k}`, action: 'label', label: k % 2 ? 'offensive' : 'safe' });
    for (let k = 0; k < 4; k++) await answer(k);
    const [early] = await autoRoundSweep(t.db);
    expect(early).toMatchObject({ phaseId, threshold: 5, newLabels: 4, started: null, skipped: '4 of 5 new human labels' });

    // The fifth label: the worker's timer (not the request) starts round 1, and the worker trains it.
    expect(await t.db.round.count({ where: { phaseId } })).toBe(1);
    await answer(4);
    const r1 = await waitFor('the automatic round to finish', finished(1), () => logs, 180_000, 200);
    stop.abort();
    await worker;
    expect(logs.join('\n')).toContain('automatic rounds: started');
    expect(r1.trigger).toBe('auto');
    expect(r1.config).toEqual((await getRound(t.db, r0.id)).config);
    // Exactly one automatic round: the labels it waited for were given before it started.
    expect(await t.db.round.count({ where: { phaseId } })).toBe(2);
    expect((await newHumanLabels(t.db, phaseId)).count).toBe(0);
    expect((await autoRoundSweep(t.db))[0].started).toBeNull();
  });

  it('after a cancelled round, new labels count from its end, so a cancel is not undone at once', async () => {
    const r = await startRound(t.db, { phaseId, config: TINY });
    // A label given while round 2 waited in the queue: round 2 would have trained on it.
    const [item] = (await nextItems(t.db, { phaseId, userId: annotatorId, limit: 1 })).items;
    await submit(t.db, { phaseId, userId: annotatorId, itemId: item.itemId, clientId: 'while-queued', action: 'label', label: 'safe' });
    expect((await newHumanLabels(t.db, phaseId)).count).toBe(1);
    // Due (1 of 1), but round 2 waits in the queue: nothing starts beside it.
    await t.db.phase.update({ where: { id: phaseId }, data: { autoRoundAfterLabels: 1 } });
    expect((await autoRoundSweep(t.db))[0]).toMatchObject({ started: null, skipped: 'round 2 is queued' });
    await t.db.phase.update({ where: { id: phaseId }, data: { autoRoundAfterLabels: 5 } });
    await cancelRound(t.db, r.id);
    expect((await getRound(t.db, r.id)).status).toBe('cancelled');
    const [check] = await autoRoundSweep(t.db);
    expect(check).toMatchObject({ started: null, newLabels: 0 });
  });

  it('compare: two rounds side by side through the API and the CLI from one function; clear errors', async () => {
    const params = { id: String(phaseId) };
    const res = await callRoute(routes.compare.GET!, `/x?a=0&b=1&limit=40`, { token: tokens.annotator, params });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const c = res.body;
    expect(c.a).toMatchObject({ number: 0, trigger: 'manual', arch: 'textcnn' });
    expect(c.b).toMatchObject({ number: 1, trigger: 'auto' });
    const items = await t.db.item.groupBy({ by: ['split'], where: { phaseId }, _count: { _all: true } });
    const count = (s: string) => items.find((x) => x.split === s)!._count._all;
    expect(c.pool.items).toBe(count('train'));
    expect(c.test.items).toBe(count('test'));
    expect(c.changed.total).toBe(c.pool.changed + c.test.changed);
    expect(c.changed.items.length).toBe(Math.min(40, c.changed.total));
    // Every test item has a gold label: the paired gain is over all of them.
    expect(c.gainVsHuman.items).toBe(count('test'));
    expect(c.gainVsHuman.gain).toBeCloseTo(c.gainVsHuman.after - c.gainVsHuman.before, 10);
    expect(c.gainVsTeacher.items).toBe(count('test'));
    for (const i of c.changed.items) {
      expect(i.a.label).not.toBe(i.b.label);
      expect(i.text.length).toBeGreaterThan(0);
      expect(i.a.probs).toHaveLength(2);
      expect(Math.abs(i.b.probs[0] + i.b.probs[1] - 1)).toBeLessThan(1e-3);
      expect(i.teacher.probs).toHaveLength(2);
      expect(i.verdict).toBe(i.human == null ? 'changed' : i.b.label === i.human ? 'fixed' : 'broke');
    }
    // Human-labelled items first.
    const labelled = c.changed.items.map((i: { human: string | null }) => (i.human ? 1 : 0));
    expect([...labelled].sort((x: number, y: number) => y - x)).toEqual(labelled);

    const viaCli = await cli(['round', 'compare', '--phase', String(phaseId), '0', '1', '--limit', '40', '--json'], t.db);
    expect(viaCli.code, viaCli.err).toBe(0);
    expect(JSON.parse(viaCli.out)).toEqual(c);
    const human = await cli(['round', 'compare', '--phase', String(phaseId), '0', '1'], t.db);
    expect(human.out).toMatch(/round 1 vs 0 against human labels on the test slice: [+−]\d+\.\d ± \d+\.\d points/);
    expect(human.out).toMatch(/pool: \d+ of \d+ predictions changed/);

    const bad = async (query: string, status: number, message: RegExp) => {
      const r = await callRoute(routes.compare.GET!, `/x?${query}`, { token: tokens.annotator, params });
      expect(r.status, query).toBe(status);
      expect(r.body.error).toMatch(message);
    };
    await bad('a=1&b=1', 400, /two different rounds/);
    await bad('a=0&b=9', 404, /round 9 of phase \d+ not found/);
    await bad('a=zero&b=1', 400, /a:/);
    await bad('a=0', 400, /b:/);
    await bad('a=0&b=1&limit=100000', 400, /limit/);
    await bad('a=0&b=2', 422, /round 2 of phase \d+ has no student to compare \(it is cancelled\)/);
    expect((await callRoute(routes.compare.GET!, '/x?a=0&b=1', { token: tokens.annotator, params: { id: '999999' } })).status).toBe(404);
    expect((await callRoute(routes.compare.GET!, '/x?a=0&b=1', { params })).status).toBe(401);
    expect((await cli(['round', 'compare', '--phase', String(phaseId), '0'], t.db)).code).toBe(2);
  });

  it('dashboard: rows, return on labels with its standard error, stopping signal, histogram, labels per round and annotator', async () => {
    const res = await callRoute(routes.dashboard.GET!, '/x', { token: tokens.annotator, params: { id: String(phaseId) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const d = res.body;
    expect(d.phase).toMatchObject({ id: phaseId, name: 'Offensive?', labels: ['safe', 'offensive'], autoRoundAfterLabels: 5 });
    expect(d.rounds.map((r: { number: number }) => r.number)).toEqual([0, 1, 2]);
    const [r0, r1, r2] = d.rounds;
    for (const r of [r0, r1]) {
      expect(r.vsTeacher.f1).toBeGreaterThan(0);
      expect(r.vsHuman.accuracy).toBeGreaterThan(0);
      expect(r.trainSeconds).toBeGreaterThan(0);
      expect(r.itemsPerSecond).toBeGreaterThan(0);
      expect(r.backend).toBeTruthy();
    }
    expect(r0.return).toBeNull();
    expect(r2.status).toBe('cancelled');
    // Round 1 trained on the 5 new labels (annotators' labels are not trusted, so none went to validation).
    expect(r1.humanLabelled - r0.humanLabelled).toBe(5);
    expect(r1.return).toMatchObject({ roundNumber: 1, previousRoundNumber: 0, corrections: 5 });
    expect(r1.return.gainPer100).toBeCloseTo((10000 * r1.return.gain.gain) / 5, 8);
    expect(r1.return.gainPer100Se).toBeCloseTo((10000 * r1.return.gain.se) / 5, 8);
    // The same pairing as the comparison.
    const c = (await callRoute(routes.compare.GET!, '/x?a=0&b=1', { token: tokens.annotator, params: { id: String(phaseId) } })).body;
    expect(r1.return.pool).toEqual(c.pool);
    expect(r1.return.gain).toEqual(c.gainVsHuman);
    expect(['keep-going', 'stop']).toContain(d.stopping.state);
    expect(d.stopping.reason.length).toBeGreaterThan(10);
    // Disagreement over the pool for the two students, on shared bins, every pool item with a teacher output counted.
    expect(d.disagreement.series.map((s: { name: string }) => s.name)).toEqual(['round 0', 'round 1']);
    for (const s of d.disagreement.series) expect(s.counts.reduce((a: number, b: number) => a + b, 0)).toBe(c.pool.items);
    expect(d.disagreement.edges).toHaveLength(20);
    // Five labels were served while round 0's student ranked the queue, one while round 1's did.
    expect([r0.labels, r1.labels, r2.labels]).toEqual([5, 1, 0]);
    expect(d.annotators).toEqual([{ userId: annotatorId, name: 'The annotator', labels: 6, overruledTeacher: expect.any(Number), byRound: { '0': 5, '1': 1 } }]);
    expect(d.newLabels).toBe(0);
    expect(d.queue.total).toBeGreaterThan(0);

    const viaCli = await cli(['rounds', '--phase', String(phaseId), '--json'], t.db);
    expect(viaCli.code, viaCli.err).toBe(0);
    const j = JSON.parse(viaCli.out);
    expect(j.returns).toEqual([r1.return]);
    expect(j.stopping).toEqual(d.stopping);
    expect(j.rounds.map((r: { number: number }) => r.number)).toEqual([2, 1, 0]);
    const text = await cli(['rounds', '--phase', String(phaseId)], t.db);
    expect(text.out).toContain('gain/100 labels');
    expect(text.out).toMatch(/(keep going|STOP): /);
  });

  it('a phase without rounds has an empty dashboard that says it is too early, and unknown phases are 404', async () => {
    const task = await createTask(t.db, { slug: 'empty', name: 'Empty', phases: [{ key: 'p', name: 'P', labels: ['a', 'b'] }] });
    const empty = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    const res = await callRoute(routes.dashboard.GET!, '/x', { token: tokens.annotator, params: { id: String(empty) } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rounds: [], disagreement: null, annotators: [], newLabels: 0, queue: null, stopping: { state: 'too-early' } });
    expect((await callRoute(routes.dashboard.GET!, '/x', { token: tokens.annotator, params: { id: '999999' } })).status).toBe(404);
    expect((await callRoute(routes.dashboard.GET!, '/x', { token: tokens.annotator, params: { id: 'abc' } })).status).toBe(400);
  });

  it('task overview: each phase’s latest round, deployed model, queue size and labels today', async () => {
    const res = await callRoute(routes.overview.GET!, '/x', { token: tokens.annotator, params: { id: String(taskId) } });
    expect(res.status).toBe(200);
    const [p] = res.body.phases;
    expect(p).toMatchObject({ phaseId, name: 'Offensive?', labelsToday: 6, labelsTotal: 6, deployed: null });
    expect(p.latestRound).toMatchObject({ number: 2, status: 'cancelled' });
    expect(p.queue.open).toBeGreaterThan(0);
    expect((await taskOverview(t.db, 'cold')).phases[0].phaseId).toBe(phaseId);
    // "Today" starts at the caller's midnight: seen from tomorrow, none of these labels is today's.
    const tomorrow = await taskOverview(t.db, 'cold', { tzOffset: 0, now: new Date(Date.now() + 86_400_000) });
    expect(tomorrow.phases[0]).toMatchObject({ labelsToday: 0, labelsTotal: 6 });
    expect((await callRoute(routes.overview.GET!, '/x?tzOffset=5000', { token: tokens.annotator, params: { id: String(taskId) } })).status).toBe(400);
  });

  it('an annotator cannot start a round; a lead can', async () => {
    const params = { id: String(phaseId) };
    const denied = await callRoute(routes.rounds.POST!, '/x', { token: tokens.annotator, body: TINY, params });
    expect(denied.status).toBe(403);
    expect(await t.db.round.count({ where: { phaseId } })).toBe(3);
    const ok = await callRoute(routes.rounds.POST!, '/x', { token: tokens.lead, body: TINY, params });
    expect(ok.status).toBe(201);
    expect(ok.body.round).toMatchObject({ number: 3, trigger: 'manual' });
    await cancelRound(t.db, ok.body.round.id);
  });

  it('round start from the CLI takes the round settings as flags over the defaults, and says which flag is wrong', async () => {
    const bad = await cli(['round', 'start', '--phase', String(phaseId), '--select-by', 'f1'], t.db);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--select-by is loss or accuracy');
    const ok = await cli(['round', 'start', '--phase', String(phaseId), '--human-weight', '3', '--select-by', 'accuracy', '--epochs', '1', '--json'], t.db);
    expect(ok.code, ok.err).toBe(0);
    const started = JSON.parse(ok.out);
    await cancelRound(t.db, started.id);
    expect((await getRound(t.db, started.id)).config).toMatchObject({ humanWeight: 3, selectBy: 'accuracy', sampling: 'uniform', train: { epochs: 1 }, model: { arch: 'ngram' } });
    // Untouched flags keep the defaults.
    const plain = await cli(['round', 'start', '--phase', String(phaseId), '--json'], t.db);
    expect(plain.code, plain.err).toBe(0);
    const id = JSON.parse(plain.out).id;
    await cancelRound(t.db, id);
    expect((await getRound(t.db, id)).config).toMatchObject({ humanWeight: 2, selectBy: 'loss' });
  });
});
