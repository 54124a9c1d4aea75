/**
 * The disagreement queue against real databases: phases with items, a teacher's outputs and a
 * student's scores (written directly, as a round would leave them), then concurrent annotators
 * in separate database clients, overlap and agreement, idempotent submits, undo, lease expiry,
 * a dependent phase, export, the HTTP routes and the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createDatabase, tuneSqlite, type Database, type Db } from '../lib/db/client.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { normalizeText, textHash } from '../lib/import/normalize.ts';
import { disagreement } from '../lib/ml/metrics.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { adjudicate, leaseItem, myCounts, nextItems, submit, undo } from '../lib/queue/annotate.ts';
import { queueState } from '../lib/queue/open-count.ts';
import { agreement, conflicts } from '../lib/queue/agreement.ts';
import { exportLabels } from '../lib/queue/export.ts';
import { updateQueueSettings } from '../lib/queue/settings.ts';
import { runCli } from '../lib/cli/cli.ts';
import { decodeProbs, encodeProbs } from '../lib/db/probs.ts';
import { QUEUE_REBUILD_JOB, queueRebuildJob } from '../lib/queue/rebuild-job.ts';
import { runWorker } from '../lib/jobs/runner.ts';

const f32 = encodeProbs;

interface Fixture {
  phaseId: number;
  itemIds: number[];
  /** The teacher's decision per item (threshold 0.5 on P(offensive)). */
  teacherLabel: Map<number, string>;
  modelId: number;
}

/**
 * A binary phase (safe/offensive) with `n` items, the last tenth in the test slice; a teacher
 * whose P(offensive) cycles through 0…0.99 and a student that disagrees with it in varying
 * amounts; scores computed with the same function a round uses.
 */
async function scoredPhase(db: Db, slug: string, n: number, opts: { overlap?: number; texts?: (i: number) => string; auditShare?: number } = {}): Promise<Fixture> {
  // No audit picks unless asked for: most tests check the strategy's exact order.
  const task = await createTask(db, { slug, name: slug, phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], threshold: 0.5, overlap: opts.overlap ?? 1, auditShare: opts.auditShare ?? 0, queueStrategy: 'js' }] });
  const phaseId = (await db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
  return fillPhase(db, phaseId, n, opts.texts ?? ((i) => `${slug} comment number ${i}`));
}

async function fillPhase(db: Db, phaseId: number, n: number, text: (i: number) => string): Promise<Fixture> {
  const labels = JSON.parse((await db.phase.findUniqueOrThrow({ where: { id: phaseId } })).labels) as string[];
  const C = labels.length;
  await db.item.createMany({
    data: Array.from({ length: n }, (_, i) => ({ phaseId, text: text(i), textHash: textHash(normalizeText(text(i))), ordinal: i, split: i >= n * 0.9 ? 'test' : 'train' })),
  });
  const items = await db.item.findMany({ where: { phaseId }, orderBy: { id: 'asc' }, select: { id: true } });
  const itemIds = items.map((i) => i.id);
  const teacher = await db.teacher.create({ data: { phaseId, name: 'bert' } });
  const tp = new Float32Array(n * C);
  const sp = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const t = ((i * 37) % 100) / 100;
    const s = ((i * 53) % 100) / 100;
    for (let c = 0; c < C; c++) {
      tp[i * C + c] = C === 2 ? (c === 1 ? t : 1 - t) : c === i % C ? 0.7 : 0.3 / (C - 1);
      sp[i * C + c] = C === 2 ? (c === 1 ? s : 1 - s) : c === (i * 3) % C ? 0.6 : 0.4 / (C - 1);
    }
  }
  await db.teacherPrediction.createMany({ data: itemIds.map((itemId, i) => ({ itemId, teacherId: teacher.id, probs: f32(Array.from(tp.subarray(i * C, i * C + C))) })) });
  const round = await db.round.create({ data: { phaseId, number: 0, config: '{}', status: 'succeeded' } });
  const model = await db.studentModel.create({ data: { roundId: round.id, phaseId, arch: 'textcnn', artifactKey: `m/${phaseId}`, config: '{}' } });
  const d = disagreement(tp, sp, C);
  await db.studentScore.createMany({
    data: itemIds.map((itemId, i) => ({ itemId, modelId: model.id, probs: f32(Array.from(sp.subarray(i * C, i * C + C))), kl: d.kl[i], js: d.js[i], flip: d.flip[i] === 1, margin: d.margin[i], loss: d.studentLoss[i] })),
  });
  const teacherLabel = new Map(itemIds.map((id, i) => [id, C === 2 ? (tp[i * C + 1] >= 0.5 ? labels[1] : labels[0]) : labels[d.teacherTop[i]]]));
  return { phaseId, itemIds, teacherLabel, modelId: model.id };
}

async function clientFor(t: TestDatabase): Promise<Database> {
  const d = createDatabase(t.config);
  await tuneSqlite(d);
  return d;
}

const call = async (handler: (req: NextRequest, ctx: { params: Promise<{ id: string }> }) => Promise<Response>, url: string, init: { token: string; method?: string; body?: unknown; params: { id: string } }) => {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: res.status === 204 ? null : type.includes('application/json') ? await res.json() : await res.text() };
};

describe.each(providers)('annotation queue on %s', (provider) => {
  let t: TestDatabase;
  const users: { id: number; email: string; token: string }[] = [];
  let lead: { id: number; token: string };
  const extra: Database[] = [];

  beforeAll(async () => {
    t = await freshDatabase(provider);
    process.env.DATABASE_URL = t.url;
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    for (let i = 0; i < 8; i++) {
      const u = await createUser(t.db, { email: `ann${i}@t.dev`, name: `ann${i}`, role: 'annotator', password: 'annotator-pass' });
      users.push({ id: u.id, email: u.email, token: (await createApiToken(t.db, u.id, 't')).token });
    }
    const l = await createUser(t.db, { email: 'lead@t.dev', name: 'lead', role: 'lead', password: 'lead-password' });
    lead = { id: l.id, token: (await createApiToken(t.db, l.id, 't')).token };
  });
  afterAll(async () => {
    for (const d of extra) await d.db.$disconnect();
    await t?.drop();
  });

  it('ranks the train pool by JS with classes interleaved, and counts what is open', async () => {
    const f = await scoredPhase(t.db, `rank-${provider}`, 200);
    const built = await rebuildQueue(t.db, f.phaseId);
    expect(built).toMatchObject({ modelId: f.modelId, strategy: 'js', pool: 180, queued: 180 });
    const entries = await t.db.queueEntry.findMany({ where: { phaseId: f.phaseId }, orderBy: { rank: 'asc' } });
    expect(entries).toHaveLength(180);
    expect(entries.every((e) => f.itemIds.indexOf(e.itemId) < 180)).toBe(true);
    // Equal shares of two classes alternate at the head, each class in descending JS.
    const head = entries.slice(0, 20).map((e) => e.teacherLabel);
    for (let i = 0; i < 20; i += 2) expect(new Set([head[i], head[i + 1]])).toEqual(new Set(['safe', 'offensive']));
    const scores = new Map((await t.db.studentScore.findMany({ where: { modelId: f.modelId } })).map((s) => [s.itemId, s.js]));
    const offensive = entries.filter((e) => e.teacherLabel === 'offensive').map((e) => scores.get(e.itemId)!);
    expect(offensive).toEqual([...offensive].sort((a, b) => b - a));
    expect(entries.map((e) => e.teacherLabel)).toEqual(entries.map((e) => f.teacherLabel.get(e.itemId)));
    expect((await queueState(t.db, f.phaseId))!.open).toBe(180);

    // Another strategy through the lead's PATCH: the queue is rebuilt in the new order.
    const phaseRoute = await import('../app/api/phases/[id]/route.ts');
    const denied = await call(phaseRoute.PATCH, '/x', { token: users[0].token, method: 'PATCH', body: { queueStrategy: 'flip' }, params: { id: String(f.phaseId) } });
    expect(denied.status).toBe(403);
    const bad = await call(phaseRoute.PATCH, '/x', { token: lead.token, method: 'PATCH', body: { queueStrategy: 'random' }, params: { id: String(f.phaseId) } });
    expect(bad.status).toBe(400);
    // The re-ranking is a job for a worker, never done in the request: with no worker the answer does not wait for it.
    const saved = await call(phaseRoute.PATCH, '/x?wait=0', { token: lead.token, method: 'PATCH', body: { queueStrategy: 'kl' }, params: { id: String(f.phaseId) } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ phase: { queueStrategy: 'kl' }, rebuilt: null, rebuildJob: { type: 'queue.rebuild', status: 'queued' } });
    expect((await t.db.queueState.findUniqueOrThrow({ where: { phaseId: f.phaseId } })).strategy).not.toBe('kl');
    const stop = new AbortController();
    const worker = runWorker({ database: t, workerId: 'settings-test', handlers: { [QUEUE_REBUILD_JOB]: queueRebuildJob }, pollMs: 20, signal: stop.signal, log: () => {} });
    let ok: Awaited<ReturnType<typeof call>>;
    try {
      ok = await call(phaseRoute.PATCH, '/x', { token: lead.token, method: 'PATCH', body: { queueStrategy: 'flip', classQuotas: { safe: 0 } }, params: { id: String(f.phaseId) } });
    } finally {
      stop.abort();
      await worker;
    }
    expect(ok.status).toBe(200);
    expect(ok.body.phase).toMatchObject({ queueStrategy: 'flip', classQuotas: { safe: 0 } });
    expect(ok.body.rebuildJob).toMatchObject({ status: 'succeeded' });
    const shown = await call(phaseRoute.GET, '/x', { token: users[0].token, params: { id: String(f.phaseId) } });
    expect(shown.body.queue).toMatchObject({ overlap: 1, queueStrategy: 'flip', classQuotas: { safe: 0 }, built: { strategy: 'flip', modelId: f.modelId } });
    expect(shown.body.queue.built.open).toBe(ok.body.rebuilt.queued);
    expect(shown.body.phase.labels).toEqual(['safe', 'offensive']);
    const flipped = await t.db.queueEntry.findMany({ where: { phaseId: f.phaseId }, orderBy: { rank: 'asc' } });
    expect(flipped.every((e) => e.teacherLabel === 'offensive')).toBe(true);
    const flips = new Map((await t.db.studentScore.findMany({ where: { modelId: f.modelId } })).map((s) => [s.itemId, s.flip]));
    const firstNonFlip = flipped.findIndex((e) => !flips.get(e.itemId));
    expect(firstNonFlip).toBeGreaterThan(0);
    expect(flipped.slice(firstNonFlip).every((e) => !flips.get(e.itemId))).toBe(true);
  });

  it('8 concurrent clients with k = 1 never get the same item', async () => {
    const f = await scoredPhase(t.db, `conc-${provider}`, 300);
    await rebuildQueue(t.db, f.phaseId);
    const clients = await Promise.all(users.map(() => clientFor(t)));
    extra.push(...clients);
    const got = await Promise.all(
      clients.map(async ({ db }, u) => {
        const seen: number[] = [];
        for (let r = 0; r < 4; r++) {
          const batch = await nextItems(db, { phaseId: f.phaseId, userId: users[u].id, limit: 4 });
          expect(batch.items).toHaveLength(4);
          for (const item of batch.items) {
            seen.push(item.itemId);
            await submit(db, { phaseId: f.phaseId, userId: users[u].id, itemId: item.itemId, clientId: `c-${provider}-${u}-${item.itemId}`, action: 'label', label: item.teacher!.label });
          }
        }
        return seen;
      }),
    );
    const all = got.flat();
    expect(all).toHaveLength(8 * 16);
    expect(new Set(all).size).toBe(all.length);
    expect(await t.db.annotation.count({ where: { phaseId: f.phaseId } })).toBe(128);
    expect(await t.db.humanLabel.count({ where: { phaseId: f.phaseId } })).toBe(128);
    expect((await queueState(t.db, f.phaseId))!.open).toBe(270 - 128);
    // Counted in the items' shards, not one row every submit waits on; a rebuild folds them back.
    expect(await t.db.queueOpenShard.count({ where: { phaseId: f.phaseId } })).toBeGreaterThan(8);
    expect((await t.db.queueState.findUniqueOrThrow({ where: { phaseId: f.phaseId } })).open).toBe(270);
    // Claims in one burst, without answering: still disjoint.
    const burst = await Promise.all(clients.map(({ db }, u) => nextItems(db, { phaseId: f.phaseId, userId: users[u].id, limit: 10 })));
    const ids = burst.flatMap((b) => b.items.map((i) => i.itemId));
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
    expect(ids.some((id) => all.includes(id))).toBe(false);
    await rebuildQueue(t.db, f.phaseId);
    expect(await t.db.queueOpenShard.count({ where: { phaseId: f.phaseId } })).toBe(0);
    expect((await queueState(t.db, f.phaseId))!.open).toBe(await t.db.queueEntry.count({ where: { phaseId: f.phaseId, done: false } }));
  });

  it('one annotator polling from several tabs at once never holds more than the batch size', async () => {
    const f = await scoredPhase(t.db, `tabs-${provider}`, 200);
    await rebuildQueue(t.db, f.phaseId);
    const tabs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => clientFor(t)));
    extra.push(...tabs);
    const batches = await Promise.all(tabs.map(({ db }) => nextItems(db, { phaseId: f.phaseId, userId: users[0].id, limit: 10 })));
    expect(await t.db.annotationLease.count({ where: { phaseId: f.phaseId, userId: users[0].id } })).toBe(10);
    // Every tab shows the same ten items.
    for (const b of batches) expect(b.items.map((i) => i.itemId).sort()).toEqual(batches[0].items.map((i) => i.itemId).sort());
  });

  it.runIf(provider === 'postgres')('submits and claims of one phase run side by side; a whole-phase change still waits for them', async () => {
    const f = await scoredPhase(t.db, `sidebyside-${provider}`, 100);
    await rebuildQueue(t.db, f.phaseId);
    const held = await nextItems(t.db, { phaseId: f.phaseId, userId: users[0].id, limit: 2 });
    const [hold, other] = await Promise.all([clientFor(t), clientFor(t)]);
    extra.push(hold, other);
    // Another connection sits inside a submit of item A (its phase lock shared, A's lock held) and does not commit.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const a = held.items[0].itemId;
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const stuck = hold.db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock_shared(7242, $1::int), pg_advisory_xact_lock(7243, $2::int)`, f.phaseId, a);
        inside();
        await released;
      },
      { timeout: 30_000 },
    );
    await entered;
    try {
      const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error(`still waiting after ${ms} ms`)), ms))]);
      // Before: every claim and submit of the phase waited for that transaction. Now other items go on.
      const b = await within(nextItems(other.db, { phaseId: f.phaseId, userId: users[1].id, limit: 5 }), 5_000);
      expect(b.items).toHaveLength(5);
      expect(b.items.some((i) => i.itemId === a)).toBe(false);
      const done = await within(submit(other.db, { phaseId: f.phaseId, userId: users[0].id, itemId: held.items[1].itemId, clientId: `sbs-${provider}-1`, action: 'label', label: 'safe' }), 5_000);
      expect(done.duplicate).toBe(false);
      // A submit of item A itself waits for it, as an undo (the whole phase) waits for every submit in flight.
      let aDone = false;
      const aSubmit = submit(other.db, { phaseId: f.phaseId, userId: users[0].id, itemId: a, clientId: `sbs-${provider}-2`, action: 'label', label: 'safe' }).then((r) => ((aDone = true), r));
      let undone = false;
      const undoing = undo(t.db, { phaseId: f.phaseId, userId: users[0].id, opId: `sbs-undo-${provider}` }).then((r) => ((undone = true), r));
      await new Promise((r) => setTimeout(r, 400));
      expect(aDone).toBe(false);
      expect(undone).toBe(false);
      release();
      await stuck;
      expect((await aSubmit).duplicate).toBe(false);
      await undoing;
      expect(undone).toBe(true);
    } finally {
      release();
      await stuck.catch(() => {});
    }
  });

  it('k = 2: each item goes to at most 2 annotators; agreement, conflicts and adjudication', async () => {
    const f = await scoredPhase(t.db, `overlap-${provider}`, 60, { overlap: 2 });
    await rebuildQueue(t.db, f.phaseId);
    const three = await Promise.all([0, 1, 2].map(() => clientFor(t)));
    extra.push(...three);
    const holders = new Map<number, Set<number>>();
    const batches = await Promise.all(three.map(({ db }, u) => nextItems(db, { phaseId: f.phaseId, userId: users[u].id, limit: 12 })));
    batches.forEach((b, u) => b.items.forEach((i) => (holders.get(i.itemId) ?? holders.set(i.itemId, new Set()).get(i.itemId)!).add(u)));
    expect(Math.max(...[...holders.values()].map((s) => s.size))).toBe(2);
    expect([...holders.values()].reduce((a, s) => a + s.size, 0)).toBe(36);

    // The two annotators who were served first share the queue's head (which two is up to the
    // race); they agree on even positions and disagree on odd ones.
    const [x, y] = [...[...holders.values()].find((s) => s.size === 2)!].sort();
    const z = [0, 1, 2].find((u) => u !== x && u !== y)!;
    const shared = [...holders.entries()].filter(([, s]) => s.has(x) && s.has(y)).map(([id]) => id).sort((a, b) => a - b);
    expect(shared).toHaveLength(12);
    for (const [k, itemId] of shared.entries()) {
      await submit(t.db, { phaseId: f.phaseId, userId: users[x].id, itemId, clientId: `o${x}-${itemId}`, action: 'label', label: 'offensive' });
      await submit(t.db, { phaseId: f.phaseId, userId: users[y].id, itemId, clientId: `o${y}-${itemId}`, action: 'label', label: k % 2 === 0 ? 'offensive' : 'safe' });
    }
    // An item answered by 2 is done: nobody else gets it, and its final label needs agreement.
    const next2 = await nextItems(t.db, { phaseId: f.phaseId, userId: users[z].id, limit: 40 });
    expect(next2.items.some((i) => shared.includes(i.itemId))).toBe(false);
    const finals = await t.db.humanLabel.findMany({ where: { phaseId: f.phaseId } });
    expect(finals.map((h) => h.itemId).sort((a, b) => a - b)).toEqual(shared.filter((_, k) => k % 2 === 0));
    expect(finals.every((h) => h.label === 'offensive' && h.source === 'annotation' && h.userId === null)).toBe(true);

    const agreeCount = shared.filter((_, k) => k % 2 === 0).length;
    const po = agreeCount / shared.length;
    // x always says "offensive" → pe = 1·p_y(offensive) = po, so κ = 0 — the hand value.
    const a = await agreement(t.db, f.phaseId);
    expect(a).toMatchObject({ items: shared.length, annotators: 2, fleissKappa: null });
    expect(a.percentAgreement).toBeCloseTo(po, 12);
    expect(a.cohenKappa).toBeCloseTo(0, 12);
    expect(a.pairs).toEqual([{ a: users[x].email, b: users[y].email, items: shared.length, agreement: a.percentAgreement, kappa: a.cohenKappa }]);

    const agreementRoute = await import('../app/api/phases/[id]/agreement/route.ts');
    expect((await call(agreementRoute.GET, '/x', { token: users[0].token, params: { id: String(f.phaseId) } })).status).toBe(403);
    expect((await call(agreementRoute.GET, '/x', { token: lead.token, params: { id: String(f.phaseId) } })).body).toEqual(a);

    const c = await conflicts(t.db, f.phaseId);
    const disputed = shared.filter((_, k) => k % 2 === 1);
    expect(c.conflicts.map((x) => x.itemId)).toEqual(disputed);
    expect(c.conflicts[0].answers.map((x) => x.label).sort()).toEqual(['offensive', 'safe']);
    const adjRoute = await import('../app/api/phases/[id]/adjudicate/route.ts');
    expect((await call(adjRoute.POST, '/x', { token: lead.token, body: { itemId: disputed[0], label: 'maybe' }, params: { id: String(f.phaseId) } })).status).toBe(400);
    const adj = await call(adjRoute.POST, '/x', { token: lead.token, body: { itemId: disputed[0], label: 'safe' }, params: { id: String(f.phaseId) } });
    expect(adj).toMatchObject({ status: 200, body: { itemId: disputed[0], label: 'safe', source: 'adjudication' } });
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId: f.phaseId, itemId: disputed[0] } } })).toMatchObject({ label: 'safe', source: 'adjudication', userId: lead.id });
    const conflictsRoute = await import('../app/api/phases/[id]/conflicts/route.ts');
    const after = await call(conflictsRoute.GET, '/x', { token: lead.token, params: { id: String(f.phaseId) } });
    expect(after.body.conflicts.map((x: { itemId: number }) => x.itemId)).toEqual(disputed.slice(1));
    expect(after.body.total).toBe(disputed.length - 1);
  });

  it('a submit retried 3 times stores one annotation; labels are checked; answers need a lease', async () => {
    const f = await scoredPhase(t.db, `retry-${provider}`, 40);
    await rebuildQueue(t.db, f.phaseId);
    const u = users[3];
    const [item] = (await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 1 })).items;
    const body = { phaseId: f.phaseId, userId: u.id, itemId: item.itemId, clientId: 'retry-1', action: 'label', label: 'safe', shown: { teacher: item.teacher, student: item.student } };
    const first = await submit(t.db, body);
    expect(first.duplicate).toBe(false);
    const retries = await Promise.all([submit(t.db, body), submit(t.db, body), submit(t.db, body)]);
    expect(retries.map((r) => r.duplicate)).toEqual([true, true, true]);
    expect(retries.every((r) => r.annotation.id === first.annotation.id)).toBe(true);
    expect(await t.db.annotation.count({ where: { phaseId: f.phaseId } })).toBe(1);
    // Racing copies of one submit, none stored yet.
    const [other] = (await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 1 })).items;
    const race = await Promise.all([1, 2, 3].map(() => submit(t.db, { ...body, itemId: other.itemId, clientId: 'race-1' })));
    expect(race.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await t.db.annotation.count({ where: { phaseId: f.phaseId, clientId: 'race-1' } })).toBe(1);

    const route = await import('../app/api/phases/[id]/annotations/route.ts');
    const p = { id: String(f.phaseId) };
    const [held] = (await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 1 })).items;
    const unknown = await call(route.POST, '/x', { token: u.token, body: { itemId: held.itemId, clientId: 'x1', action: 'label', label: 'spam' }, params: p });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('unknown label "spam"');
    const notMine = await call(route.POST, '/x', { token: users[4].token, body: { itemId: held.itemId, clientId: 'x2', action: 'label', label: 'safe' }, params: p });
    expect(notMine).toMatchObject({ status: 409, body: { error: `item ${held.itemId} is not leased to you` } });
    const again = await call(route.POST, '/x', { token: u.token, body: { itemId: item.itemId, clientId: 'x3', action: 'label', label: 'safe' }, params: p });
    expect(again).toMatchObject({ status: 409, body: { error: `you already answered item ${item.itemId}` } });
    const ok = await call(route.POST, '/x', { token: u.token, body: { itemId: held.itemId, clientId: 'x4', action: 'skip' }, params: p });
    expect(ok).toMatchObject({ status: 200, body: { duplicate: false, annotation: { itemId: held.itemId, action: 'skip', label: null } } });
    // A skip releases the item to others but never back to the one who skipped it.
    expect((await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 30 })).items.map((i) => i.itemId)).not.toContain(held.itemId);
    expect((await nextItems(t.db, { phaseId: f.phaseId, userId: users[4].id, limit: 1 })).items[0].itemId).toBe(held.itemId);
  });

  it('undo restores the item to the annotator, first; the counts follow', async () => {
    const f = await scoredPhase(t.db, `undo-${provider}`, 40);
    await rebuildQueue(t.db, f.phaseId);
    const u = users[5];
    const first = await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3 });
    expect(first.remaining).toBe(36);
    // A reload shows the same items.
    expect((await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3 })).items.map((i) => i.itemId)).toEqual(first.items.map((i) => i.itemId));
    const [a, b] = first.items;
    await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: a.itemId, clientId: 'u-a', action: 'label', label: 'offensive' });
    await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: b.itemId, clientId: 'u-b', action: 'flag' });
    expect(await myCounts(t.db, f.phaseId, u.id)).toMatchObject({ total: 2, labelled: 1, skipped: 0, flagged: 1, today: 2, session: 2 });
    expect((await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 1 })).remaining).toBe(34);

    const undoRoute = await import('../app/api/phases/[id]/annotations/undo/route.ts');
    const res = await call(undoRoute.POST, '/x', { token: u.token, params: { id: String(f.phaseId) } });
    expect(res.status).toBe(200);
    expect(res.body.undone).toMatchObject({ action: 'flag', label: null });
    expect(res.body.item).toMatchObject({ itemId: b.itemId, text: b.text, teacher: b.teacher, student: b.student, score: b.score });
    const second = await undo(t.db, { phaseId: f.phaseId, userId: u.id });
    expect(second.undone).toMatchObject({ action: 'label', label: 'offensive' });
    expect(second.item.itemId).toBe(a.itemId);
    expect(await t.db.humanLabel.count({ where: { phaseId: f.phaseId } })).toBe(0);
    expect(await myCounts(t.db, f.phaseId, u.id)).toMatchObject({ total: 0 });
    // The most recently undone item comes back first, then the other, then the one still held.
    const back = await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3 });
    expect(back.items.map((i) => i.itemId)).toEqual([a.itemId, b.itemId, first.items[2].itemId]);
    expect(back.remaining).toBe(36);
    // Undone items can be answered again.
    await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: a.itemId, clientId: 'u-a2', action: 'label', label: 'safe' });
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId: f.phaseId, itemId: a.itemId } } })).toMatchObject({ label: 'safe', source: 'annotation', userId: u.id });
    await undo(t.db, { phaseId: f.phaseId, userId: u.id });
    await undo(t.db, { phaseId: f.phaseId, userId: users[6].id }).then(
      () => expect.unreachable(),
      (e) => expect(e).toMatchObject({ status: 404, message: 'nothing to undo' }),
    );
  });

  it('expired leases return items to the queue; a late answer still counts when nobody took the item', async () => {
    const f = await scoredPhase(t.db, `expiry-${provider}`, 40);
    await rebuildQueue(t.db, f.phaseId);
    const [u, v] = [users[6], users[7]];
    const short = await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3, leaseMs: 300 });
    const other = await nextItems(t.db, { phaseId: f.phaseId, userId: v.id, limit: 3 });
    expect(other.items.some((i) => short.items.some((s) => s.itemId === i.itemId))).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    // Expired: not held any more, so u gets a fresh batch — and the late answer on an untaken item is kept.
    await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: short.items[2].itemId, clientId: 'late-ok', action: 'label', label: 'safe' });
    const more = await nextItems(t.db, { phaseId: f.phaseId, userId: v.id, limit: 5 });
    expect(more.items.slice(0, 3).map((i) => i.itemId)).toEqual(other.items.map((i) => i.itemId));
    expect(more.items.slice(3).map((i) => i.itemId)).toEqual(short.items.slice(0, 2).map((i) => i.itemId));
    await expect(submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: short.items[0].itemId, clientId: 'late-lost', action: 'label', label: 'safe' })).rejects.toMatchObject({
      status: 409,
      message: `your lease on item ${short.items[0].itemId} expired and the item went to another annotator`,
    });
  });

  it.runIf(provider === 'sqlite')('a retried submit whose first try died after storing the answer finishes it: lease released, item closed, human label set', async () => {
    const f = await scoredPhase(t.db, `interrupted-${provider}`, 20);
    await rebuildQueue(t.db, f.phaseId);
    const u = users[6];
    const batch = await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3 });
    const x = batch.items[0].itemId;
    const open = (await queueState(t.db, f.phaseId))!.open;
    // What the first try's INSERT left when the console was killed before its next statement.
    await t.db.annotation.create({ data: { phaseId: f.phaseId, itemId: x, userId: u.id, action: 'label', label: 'safe', clientId: 'cut-1' } });
    const retry = await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: x, clientId: 'cut-1', action: 'label', label: 'safe' });
    expect(retry.duplicate).toBe(true);
    expect(await t.db.annotationLease.findUnique({ where: { phaseId_itemId_userId: { phaseId: f.phaseId, itemId: x, userId: u.id } } })).toBeNull();
    expect(await t.db.queueEntry.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId: f.phaseId, itemId: x } } })).toMatchObject({ answers: 1, done: true });
    expect(await t.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId: f.phaseId, itemId: x } } })).toMatchObject({ label: 'safe', source: 'annotation' });
    expect((await queueState(t.db, f.phaseId))!.open).toBe(open - 1);
    // The answered item does not come back in the user's next batch; a second retry changes nothing.
    expect((await nextItems(t.db, { phaseId: f.phaseId, userId: u.id, limit: 3 })).items.map((i) => i.itemId)).not.toContain(x);
    await submit(t.db, { phaseId: f.phaseId, userId: u.id, itemId: x, clientId: 'cut-1', action: 'label', label: 'safe' });
    expect((await queueState(t.db, f.phaseId))!.open).toBe(open - 1);
  });

  it('a dependent phase queues only texts the earlier phase labelled the dependency label', async () => {
    const task = await createTask(t.db, {
      slug: `dep-${provider}`,
      name: 'dep',
      phases: [
        { key: 'offensive', name: 'Offensive?', labels: ['safe', 'offensive'], threshold: 0.5 },
        { key: 'topic', name: 'Topic', labels: ['race', 'region', 'gender'], dependsOn: { phase: 'offensive', label: 'offensive' } },
      ],
    });
    const [p1, p2] = await t.db.phase.findMany({ where: { taskId: task.id }, orderBy: { position: 'asc' } });
    const text = (i: number) => `shared text ${i}`;
    const one = await fillPhase(t.db, p1.id, 50, text);
    const two = await fillPhase(t.db, p2.id, 50, text);
    // Overrides: a human says item 0 is offensive whatever the teacher said; the deployed student decides item 1.
    const t0 = one.teacherLabel.get(one.itemIds[0]);
    await t.db.humanLabel.create({ data: { phaseId: p1.id, itemId: one.itemIds[0], label: t0 === 'offensive' ? 'safe' : 'offensive', source: 'annotation' } });
    await t.db.deployment.create({ data: { phaseId: p1.id, modelId: one.modelId } });
    const studentSays = new Map(
      (await t.db.studentScore.findMany({ where: { modelId: one.modelId } })).map((s) => [s.itemId, decodeProbs(s.probs)[1] >= 0.5 ? 'offensive' : 'safe']),
    );
    const expected = new Set<string>();
    one.itemIds.forEach((id, i) => {
      const label = i === 0 ? (t0 === 'offensive' ? 'safe' : 'offensive') : studentSays.get(id);
      if (label === 'offensive') expected.add(text(i));
    });
    // Without the deployment the teacher decides: a different set, so the deployment matters here.
    const teacherSet = new Set(one.itemIds.filter((id, i) => i > 0 && one.teacherLabel.get(id) === 'offensive').map((id) => text(one.itemIds.indexOf(id))));
    expect(teacherSet).not.toEqual(expected);

    await rebuildQueue(t.db, p2.id);
    const queued = await t.db.queueEntry.findMany({ where: { phaseId: p2.id }, select: { itemId: true } });
    const items = await t.db.item.findMany({ where: { id: { in: queued.map((q) => q.itemId) } }, select: { text: true, split: true } });
    const trainExpected = [...expected].filter((s) => Number(s.split(' ').pop()) < 45);
    expect(items.map((i) => i.text).sort()).toEqual(trainExpected.sort());
    expect(trainExpected.length).toBeGreaterThan(5);

    await t.db.deployment.updateMany({ where: { phaseId: p1.id }, data: { rolledBackAt: new Date() } });
    await rebuildQueue(t.db, p2.id);
    const byTeacher = await t.db.queueEntry.findMany({ where: { phaseId: p2.id }, select: { itemId: true } });
    const texts = (await t.db.item.findMany({ where: { id: { in: byTeacher.map((q) => q.itemId) } }, select: { text: true } })).map((i) => i.text);
    const wantTeacher = [...teacherSet, ...(t0 === 'offensive' ? [] : [text(0)])].filter((s) => Number(s.split(' ').pop()) < 45);
    expect(texts.sort()).toEqual(wantTeacher.sort());
    expect(two.itemIds).toHaveLength(50);
  });

  it('export, the queue routes and the CLI', async () => {
    const f = await scoredPhase(t.db, `export-${provider}`, 40, { texts: (i) => (i === 0 ? 'quote " comma , newline\nend <script>alert(1)</script>' : `export item ${i}`) });
    const p = { id: String(f.phaseId) };
    const rebuildRoute = await import('../app/api/phases/[id]/queue/rebuild/route.ts');
    expect((await call(rebuildRoute.POST, '/x', { token: users[0].token, params: p })).status).toBe(403);
    // The rebuild runs as a job: with no worker it stays queued (202); a worker runs it and the route answers with the result.
    const queued = await call(rebuildRoute.POST, '/x?wait=0', { token: lead.token, params: p });
    expect(queued.status).toBe(202);
    expect(queued.body.job).toMatchObject({ type: 'queue.rebuild', status: 'queued' });
    const stop = new AbortController();
    const worker = runWorker({ database: t, workerId: 'queue-test', handlers: { [QUEUE_REBUILD_JOB]: queueRebuildJob }, pollMs: 20, signal: stop.signal, log: () => {} });
    try {
      const rebuilt = await call(rebuildRoute.POST, '/x', { token: lead.token, params: p });
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body.rebuilt).toMatchObject({ queued: 36 });
    } finally {
      stop.abort();
      await worker;
    }

    const nextRoute = await import('../app/api/phases/[id]/queue/next/route.ts');
    const next = await call(nextRoute.GET, '/x?limit=40', { token: users[0].token, params: p });
    expect(next.status).toBe(200);
    expect(next.body.labels).toEqual(['safe', 'offensive']);
    expect(next.body.remaining).toBe(36);
    expect(next.body.items).toHaveLength(36);
    const item = next.body.items[0];
    expect(Object.keys(item).sort()).toEqual(['itemId', 'leaseExpiresAt', 'score', 'student', 'teacher', 'text']);
    expect(item.teacher.probs).toHaveLength(2);
    expect(item.student).toMatchObject({ modelId: f.modelId });
    expect(Object.keys(item.score).sort()).toEqual(['flip', 'js', 'kl', 'loss', 'margin']);
    expect(new Date(item.leaseExpiresAt).getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect((await call(nextRoute.GET, '/x?limit=0', { token: users[0].token, params: p })).status).toBe(400);

    const annotate = await import('../app/api/phases/[id]/annotations/route.ts');
    const tricky = next.body.items.find((i: { text: string }) => i.text.includes('<script>'));
    expect(tricky).toBeTruthy();
    await call(annotate.POST, '/x', { token: users[0].token, body: { itemId: tricky.itemId, clientId: 'e1', action: 'label', label: 'offensive', shown: { teacher: tricky.teacher, student: tricky.student } }, params: p });
    await call(annotate.POST, '/x', { token: users[0].token, body: { itemId: next.body.items[1].itemId, clientId: 'e2', action: 'skip' }, params: p });
    const mine = await import('../app/api/phases/[id]/annotations/mine/route.ts');
    expect((await call(mine.GET, '/x', { token: users[0].token, params: p })).body).toMatchObject({ total: 2, labelled: 1, skipped: 1, flagged: 0, today: 2, session: 2 });

    // The CLI: next batch as another user, answer one, export.
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await runCli(['queue', 'next', '--phase', p.id, '--limit', '2', '--user', users[1].email, '--json'], t.db, io)).toBe(0);
    const cliBatch = JSON.parse(out.pop()!);
    // User 0 holds the whole queue but the item they skipped.
    expect(cliBatch.items.map((i: { itemId: number }) => i.itemId)).toEqual([next.body.items[1].itemId]);
    expect(await runCli(['annotate', '--phase', p.id, '--item', String(next.body.items[2].itemId), '--label', 'safe', '--user', users[1].email], t.db, io)).toBe(1);
    expect(err.pop()).toBe(`error: item ${next.body.items[2].itemId} is not leased to you`);
    expect(await runCli(['annotate', '--phase', p.id, '--item', String(next.body.items[2].itemId), '--label', 'safe', '--user', users[0].email], t.db, io)).toBe(0);
    expect(out.pop()).toMatch(new RegExp(`^item ${next.body.items[2].itemId}: label safe \\(annotation \\d+\\)$`));
    expect(await runCli(['labels', 'export', '--phase', p.id, '--format', 'jsonl'], t.db, io)).toBe(0);
    const rows = out.pop()!.split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.itemId, r.action, r.label, r.annotator])).toEqual([
      [tricky.itemId, 'label', 'offensive', users[0].email],
      [next.body.items[1].itemId, 'skip', null, users[0].email],
      [next.body.items[2].itemId, 'label', 'safe', users[0].email],
    ]);
    expect(rows[0]).toMatchObject({ text: tricky.text, finalLabel: 'offensive', finalSource: 'annotation', shown: { teacher: tricky.teacher, student: tricky.student } });

    const exportRoute = await import('../app/api/phases/[id]/labels/export/route.ts');
    expect((await call(exportRoute.GET, '/x?format=csv', { token: users[0].token, params: p })).status).toBe(403);
    const csv = await call(exportRoute.GET, '/x?format=csv', { token: lead.token, params: p });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="phase-${f.phaseId}-labels.csv"`);
    const text = csv.body as string;
    expect(text.split('\n')[0]).toBe('annotationId,itemId,externalId,text,action,label,note,annotator,createdAt,shown,finalLabel,finalSource');
    expect(text).toContain('"quote "" comma , newline\nend <script>alert(1)</script>"');
    expect(text).toContain(`,label,offensive,,${users[0].email},`); // no note
    const undoRoute = await import('../app/api/phases/[id]/annotations/undo/route.ts');
    await call(undoRoute.POST, '/x', { token: users[0].token, params: p });
    const chunks: string[] = [];
    for await (const c of exportLabels(t.db, f.phaseId, 'jsonl')) chunks.push(c);
    expect(chunks.join('').trim().split('\n')).toHaveLength(2);
    expect((await call(exportRoute.GET, '/x?format=xml', { token: lead.token, params: p })).status).toBe(400);
  });

  it('the CLI annotate leases a free item itself; leaseItem respects k', async () => {
    const f = await scoredPhase(t.db, `lease-${provider}`, 20);
    await rebuildQueue(t.db, f.phaseId);
    const id = f.itemIds[0];
    expect(await leaseItem(t.db, { phaseId: f.phaseId, userId: users[2].id, itemId: id })).toBe(true);
    expect(await leaseItem(t.db, { phaseId: f.phaseId, userId: users[2].id, itemId: id })).toBe(true);
    expect(await leaseItem(t.db, { phaseId: f.phaseId, userId: users[3].id, itemId: id })).toBe(false);
    await updateQueueSettings(t.db, f.phaseId, { overlap: 2 }, null, { rebuild: 'now' });
    expect(await leaseItem(t.db, { phaseId: f.phaseId, userId: users[3].id, itemId: id })).toBe(true);
    expect(await leaseItem(t.db, { phaseId: f.phaseId, userId: users[4].id, itemId: id })).toBe(false);
    await adjudicate(t.db, { phaseId: f.phaseId, itemId: id, label: 'safe', userId: lead.id });
    expect((await t.db.queueEntry.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId: f.phaseId, itemId: id } } })).done).toBe(true);
  });

  it('serves no item that carries an imported gold label, unless the phase re-labels trusted items', async () => {
    const f = await scoredPhase(t.db, `trusted-${provider}`, 100);
    const gold = f.itemIds.slice(0, 30);
    await t.db.item.updateMany({ where: { id: { in: gold } }, data: { goldLabel: 'safe' } });
    const built = await rebuildQueue(t.db, f.phaseId);
    expect(built.queued).toBe(60);
    const batch = await nextItems(t.db, { phaseId: f.phaseId, userId: users[5].id, limit: 100 });
    expect(batch.items).toHaveLength(60);
    expect(batch.items.some((i) => gold.includes(i.itemId))).toBe(false);
    await updateQueueSettings(t.db, f.phaseId, { relabelTrusted: true }, null, { rebuild: 'now' });
    expect((await t.db.queueState.findUniqueOrThrow({ where: { phaseId: f.phaseId } })).total).toBe(90);
  });

  it('mixes random audit picks into the queue, records answers as audit picks, and reports the yield against them', async () => {
    const f = await scoredPhase(t.db, `audit-${provider}`, 400, { auditShare: 0.1 });
    await rebuildQueue(t.db, f.phaseId);
    const entries = await t.db.queueEntry.findMany({ where: { phaseId: f.phaseId }, orderBy: { rank: 'asc' } });
    const audit = entries.filter((e) => e.audit);
    expect(audit.length).toBeGreaterThanOrEqual(30);
    expect(audit.every((e) => (e.rank + 1) % 10 === 0)).toBe(true);
    const batch = await nextItems(t.db, { phaseId: f.phaseId, userId: users[6].id, limit: 40 });
    const auditIds = new Set(audit.map((e) => e.itemId));
    const servedAudit = batch.items.filter((i) => auditIds.has(i.itemId));
    expect(servedAudit.length).toBe(4);
    // The annotator overrules the teacher on every queue pick and agrees with it on every audit pick.
    const flip = (l: string) => (l === 'safe' ? 'offensive' : 'safe');
    for (const item of batch.items) {
      const teacher = f.teacherLabel.get(item.itemId)!;
      await submit(t.db, { phaseId: f.phaseId, userId: users[6].id, itemId: item.itemId, clientId: `audit-${provider}-${item.itemId}`, action: 'label', label: auditIds.has(item.itemId) ? teacher : flip(teacher) });
    }
    const rows = await t.db.annotation.findMany({ where: { phaseId: f.phaseId }, orderBy: { id: 'asc' } });
    expect(rows.filter((r) => r.audit).map((r) => r.itemId).sort()).toEqual(servedAudit.map((i) => i.itemId).sort());
    expect(rows.every((r) => r.teacherLabel === f.teacherLabel.get(r.itemId) && r.modelId === f.modelId)).toBe(true);
    const yieldRoute = await import('../app/api/phases/[id]/yield/route.ts');
    const y = await call(yieldRoute.GET, '/x', { token: users[6].token, params: { id: String(f.phaseId) } });
    expect(y.status).toBe(200);
    expect(y.body.queue).toMatchObject({ answered: 36, overruledTeacher: 36, teacherErrorRate: 1 });
    expect(y.body.audit).toMatchObject({ answered: 4, overruledTeacher: 0, teacherErrorRate: 0 });
    expect(y.body.rounds).toHaveLength(1);
    expect(y.body.rounds[0]).toMatchObject({ roundNumber: 0, modelId: f.modelId });
    expect(y.body.rounds[0].queue.withStudent).toBe(36);
  });
});
