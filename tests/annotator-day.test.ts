/**
 * The day of an annotator and a lead against real databases: an import builds the queue by
 * itself (a worker job; before any student the teacher's least sure items come first), flags with
 * notes reach the lead's list and are resolved (label, back to the queue, dismiss) through the
 * routes and the CLI, answers are changed (durable, idempotent, stale changes refused) with the
 * overlap, the human label and the conflicts kept right, counts survive a new connection, the
 * per-annotator counts and the empty queue's reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { createDatabase, tuneSqlite, type Database, type Db } from '../lib/db/client.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { QUEUE_REBUILD_JOB, queueRebuildJob, rebuildDedupeKey } from '../lib/queue/rebuild-job.ts';
import { myCounts, nextItems, submit, undo } from '../lib/queue/annotate.ts';
import { queueState } from '../lib/queue/open-count.ts';
import { changeAnswer } from '../lib/queue/change-answer.ts';
import { recentAnswers } from '../lib/queue/recent-answers.ts';
import { listFlags, resolveFlag } from '../lib/queue/flags.ts';
import { queueStatus } from '../lib/queue/queue-status.ts';
import { agreement, conflicts } from '../lib/queue/agreement.ts';
import { withPhaseLock } from '../lib/import/phase-lock.ts';
import { getJob } from '../lib/jobs/queue.ts';
import { runWorker } from '../lib/jobs/runner.ts';
import { runCli } from '../lib/cli/cli.ts';

type Row = { text: string; p: number | null; label?: string };

/**
 * JSONL with one teacher's P(offensive) per row (null: no teacher output), and a sentinel row
 * newer than all of them: the phases below keep exactly one item (the newest) as their temporal
 * test slice, so the rows given are the pool.
 */
async function* jsonl(rows: Row[], from = 0) {
  const all = [...rows.map((r, i) => ({ ...r, id: `r${from + i}`, time: from + i })), { text: `newest sentinel ${from}`, p: 0.99, id: `s${from}`, time: 1e9 + from }];
  yield all.map((r) => JSON.stringify({ id: r.id, text: r.text, time: r.time, ...(r.label ? { label: r.label } : {}), ...(r.p == null ? {} : { teachers: { bert: [1 - r.p, r.p] } }) })).join('\n') + '\n';
}

async function newPhase(db: Db, slug: string, opts: { overlap?: number } = {}): Promise<number> {
  const task = await createTask(db, { slug, name: slug, phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], threshold: 0.5, positiveLabel: 'offensive', overlap: opts.overlap ?? 1, auditShare: 0, queueStrategy: 'loss', testFraction: 1e-6 }] });
  return (await db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
}

const call = async (handler: (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>, url: string, init: { token: string; method?: string; body?: unknown; params: Record<string, string> }) => {
  const req = new NextRequest(new URL(url, 'http://localhost'), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const res = await handler(req, { params: Promise.resolve(init.params) });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
};

/** Runs a worker with the rebuild handler until `until` holds (bounded). */
async function withWorker<T>(t: Database, fn: () => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const worker = runWorker({ database: t, workerId: `day-${Math.random()}`, handlers: { [QUEUE_REBUILD_JOB]: queueRebuildJob }, pollMs: 20, signal: stop.signal, log: () => {} });
  try {
    return await fn();
  } finally {
    stop.abort();
    await worker;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(providers)('an annotator and a lead on %s', (provider) => {
  let t: TestDatabase;
  const ann: { id: number; email: string; token: string }[] = [];
  let lead: { id: number; email: string; token: string };
  const routes = {} as Record<string, any>;

  beforeAll(async () => {
    t = await freshDatabase(provider);
    process.env.DATABASE_URL = t.url;
    (globalThis as { __distilleryDb?: unknown }).__distilleryDb = Promise.resolve({ db: t.db, config: t.config });
    for (let i = 0; i < 3; i++) {
      const u = await createUser(t.db, { email: `day${i}@t.dev`, name: `Day ${i}`, role: 'annotator', password: 'annotator-pass' });
      ann.push({ id: u.id, email: u.email, token: (await createApiToken(t.db, u.id, 't')).token });
    }
    const l = await createUser(t.db, { email: 'daylead@t.dev', name: 'Lead', role: 'lead', password: 'lead-password' });
    lead = { id: l.id, email: l.email, token: (await createApiToken(t.db, l.id, 't')).token };
    routes.flags = await import('../app/api/phases/[id]/flags/route.ts');
    routes.flag = await import('../app/api/phases/[id]/flags/[itemId]/route.ts');
    routes.submit = await import('../app/api/phases/[id]/annotations/route.ts');
    routes.change = await import('../app/api/phases/[id]/annotations/change/route.ts');
    routes.recent = await import('../app/api/phases/[id]/annotations/recent/route.ts');
    routes.mine = await import('../app/api/phases/[id]/annotations/mine/route.ts');
    routes.annotators = await import('../app/api/phases/[id]/annotators/route.ts');
    routes.status = await import('../app/api/phases/[id]/queue/status/route.ts');
    routes.agreement = await import('../app/api/phases/[id]/agreement/route.ts');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('an import enqueues the queue rebuild; a worker builds it; the teacher’s least sure items come first; the empty queue says why on the way', async () => {
    const phaseId = await newPhase(t.db, `auto-${provider}`);
    const me = { phaseId, userId: ann[0].id, lead: false };
    expect((await queueStatus(t.db, me)).state.reason).toBe('no-items');
    expect((await queueStatus(t.db, { ...me, lead: true })).state.actions.map((a) => a.kind)).toEqual(['import']);

    // P(offensive) per item: 0.5 is on the threshold (least sure), 0.02 and 0.97 are sure.
    const ps = [0.97, 0.55, 0.02, 0.5, 0.3, 0.8, 0.45, 0.1, 0.65, 0.9, null, 0.6];
    const report = await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(ps.map((p, i) => ({ text: `auto item ${i}`, p }))), by: lead.id });
    expect(report.queueRebuild).toEqual({ jobId: expect.any(Number) });
    const job = (await getJob(t.db, report.queueRebuild!.jobId))!;
    expect(job).toMatchObject({ type: QUEUE_REBUILD_JOB, status: 'queued', dedupeKey: rebuildDedupeKey(phaseId) });
    // One audit row for the import, naming its rebuild job.
    const auditRow = await t.db.auditLog.findFirst({ where: { action: 'phase.import', target: `phase:${phaseId}` } });
    expect(JSON.parse(auditRow!.details!)).toMatchObject({ queueRebuildJob: job.id });
    const building = await queueStatus(t.db, me);
    expect(building.state).toMatchObject({ reason: 'building', retryInMs: 3000 });
    expect((await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 5 })).items).toHaveLength(0);

    await withWorker(t, () => waitFor('the rebuild job', async () => (await getJob(t.db, job.id))!.status === 'succeeded'));
    const state = await t.db.queueState.findUniqueOrThrow({ where: { phaseId } });
    expect(state.modelId).toBeNull();
    const batch = await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 20 });
    const train = batch.items.map((i) => i.text);
    expect(train.length).toBe(state.total);
    // Within each teacher class (the classes take turns, by quota) by distance from the threshold,
    // scaled to its side: the least sure first. The item on the threshold leads.
    const pOf = (text: string) => ps[Number(text.split(' ').pop())];
    const margin = (p: number) => (p >= 0.5 ? (p - 0.5) / 0.5 : (0.5 - p) / 0.5);
    for (const side of [(p: number) => p >= 0.5, (p: number) => p < 0.5]) {
      const m = train.map(pOf).filter((p): p is number => p != null && side(p)).map(margin);
      expect(m.length).toBeGreaterThan(3);
      expect(m).toEqual([...m].sort((a, b) => a - b));
    }
    expect(pOf(train[0])).toBe(0.5);
    expect(train.map(pOf)).toContain(null);
    expect(batch.items[0].student).toBeNull();
    expect(batch.items[0].teacher?.label).toBe('offensive');
    const status = await call(routes.status.GET, '/x', { token: ann[1].token, params: { id: String(phaseId) } });
    expect(status.status).toBe(200);
    expect(status.body.state).toMatchObject({ reason: 'leased' });
    expect(status.body.state.notes[0]).toMatch(/least sure/);
    expect(status.body.facts).toMatchObject({ items: 13, trainItems: 12, leasedToOthers: batch.items.length });
  });

  it('an import that lands while a rebuild runs gets a rebuild of its own, which waits for the running one and queues the new items', async () => {
    const phaseId = await newPhase(t.db, `during-${provider}`);
    const first = await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 6 }, (_, i) => ({ text: `first batch ${i}`, p: 0.05 + i / 10 }))) });
    const j1 = first.queueRebuild!.jobId;
    // The first job is taken by a worker (here: by hand) while another rebuild holds the phase's
    // rebuild lock, so it is caught running: it has given up its key and waits for the lock.
    await t.db.job.update({ where: { id: j1 }, data: { status: 'running' } });
    let run: Promise<unknown> = Promise.resolve();
    const second = await withPhaseLock(t.db, phaseId, 'queue rebuild', async () => {
      run = queueRebuildJob({ id: j1, payload: { phaseId } });
      await waitFor('the first job to give up its key', async () => (await getJob(t.db, j1))!.dedupeKey === null);
      return importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 4 }, (_, i) => ({ text: `second batch ${i}`, p: 0.5 })), 100) });
    });
    expect(second.queueRebuild!.jobId).not.toBe(j1);
    await run;
    await t.db.job.update({ where: { id: j1 }, data: { status: 'succeeded' } });
    await withWorker(t, () => waitFor('the second rebuild', async () => (await getJob(t.db, second.queueRebuild!.jobId))!.status === 'succeeded'));
    // Both batches, and the first import's sentinel (no longer the newest item, so in the pool now).
    expect(await t.db.queueEntry.count({ where: { phaseId } })).toBe(11);
    // The second batch sits on the threshold: it leads its class (offensive), ahead of the first batch's 0.55 and the sentinel.
    const entries = await t.db.queueEntry.findMany({ where: { phaseId, teacherLabel: 'offensive' }, orderBy: { rank: 'asc' }, select: { itemId: true } });
    const texts = new Map((await t.db.item.findMany({ where: { phaseId }, select: { id: true, text: true } })).map((i) => [i.id, i.text]));
    expect(entries.map((e) => texts.get(e.itemId)!.replace(/ \d+$/, ''))).toEqual(['second batch', 'second batch', 'second batch', 'second batch', 'first batch', 'newest sentinel']);
  });

  it('flags with notes reach the lead, who labels, sends back or dismisses them; every action audit-logged; annotators cannot', async () => {
    const phaseId = await newPhase(t.db, `flags-${provider}`);
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 10 }, (_, i) => ({ text: `flag item ${i}`, p: 0.1 * i + 0.05 }))) });
    await rebuildQueue(t.db, phaseId);
    const p = { id: String(phaseId) };
    const items = (await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 4 })).items;
    const [x, y, z, w] = items.map((i) => i.itemId);
    const flag = (itemId: number, clientId: string, note?: string) => call(routes.submit.POST, '/x', { token: ann[0].token, params: p, body: { itemId, clientId, action: 'flag', ...(note ? { note } : {}) } });
    expect((await flag(x, 'fx', '  sarcasm? the teacher reads it literally  ')).status).toBe(200);
    expect((await flag(y, 'fy')).status).toBe(200);
    expect((await flag(z, 'fz', 'spam, not offensive')).status).toBe(200);
    // A note added afterwards (the annotator typed it after pressing F) is a change of the flag.
    const noted = await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body: { clientId: 'fy', action: 'flag', note: 'dialect word, unsure', revision: 0 } });
    expect(noted.body).toMatchObject({ duplicate: false, answer: { action: 'flag', note: 'dialect word, unsure', revision: 1 } });
    expect((await call(routes.submit.POST, '/x', { token: ann[0].token, params: p, body: { itemId: w, clientId: 'fw', action: 'flag', note: 'x'.repeat(2001) } })).status).toBe(400);

    expect((await call(routes.flags.GET, '/x', { token: ann[0].token, params: p })).status).toBe(403);
    const list = await call(routes.flags.GET, '/x', { token: lead.token, params: p });
    expect(list.status).toBe(200);
    expect(list.body.open).toBe(3);
    expect(list.body.items.map((i: { itemId: number }) => i.itemId)).toEqual([x, y, z]);
    expect(list.body.items[0]).toMatchObject({ status: 'open', text: expect.stringMatching(/^flag item/), teacher: { label: expect.any(String) }, flags: [{ email: ann[0].email, note: 'sarcasm? the teacher reads it literally' }] });
    expect(list.body.items[1].flags[0].note).toBe('dialect word, unsure');

    // Label: a trusted label; the item stays out of the queue. A repeat is answered as such; a different label or action is a clash.
    const labelled = await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(x) }, body: { action: 'label', label: 'offensive' } });
    expect(labelled.body).toMatchObject({ itemId: x, resolution: 'labelled', label: 'offensive', flags: 1, duplicate: false });
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId: x } } })).toMatchObject({ label: 'offensive', source: 'adjudication', userId: lead.id });
    expect((await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(x) }, body: { action: 'label', label: 'offensive' } })).body).toMatchObject({ duplicate: true, flags: 0 });
    const clash = await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(x) }, body: { action: 'dismiss' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatch(/already labelled by daylead@t.dev/);
    expect((await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(x) }, body: { action: 'label', label: 'nope' } })).status).toBe(400);
    expect((await call(routes.flag.POST, '/x', { token: ann[1].token, params: { ...p, itemId: String(y) }, body: { action: 'dismiss' } })).status).toBe(403);
    expect((await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(w) }, body: { action: 'dismiss' } })).status).toBe(404);

    // Back to the queue: the flag no longer counts, the item goes to the front, for anyone (the flagger too).
    const open0 = (await queueState(t.db, phaseId))!.open;
    expect((await call(routes.flag.POST, '/x', { token: lead.token, params: { ...p, itemId: String(y) }, body: { action: 'requeue' } })).body).toMatchObject({ resolution: 'requeued', flags: 1 });
    expect((await queueState(t.db, phaseId))!.open).toBe(open0 + 1);
    expect((await nextItems(t.db, { phaseId, userId: ann[1].id, limit: 1 })).items[0].itemId).toBe(y);
    expect((await myCounts(t.db, phaseId, ann[0].id)).flagged).toBe(2);

    // Dismiss: nothing to do; the flag stands as the annotator's answer and the item stays out of the queue.
    const cli: string[] = [];
    const io = { out: (l: string) => cli.push(l), err: (l: string) => cli.push(l) };
    expect(await runCli(['flags', '--phase', String(phaseId), '--json'], t.db, io)).toBe(0);
    expect(JSON.parse(cli.join('\n')).items.map((i: { itemId: number }) => i.itemId)).toEqual([z]);
    cli.length = 0;
    expect(await runCli(['flag', 'dismiss', '--phase', String(phaseId), '--item', String(z), '--user', ann[0].email], t.db, io)).toBe(1);
    expect(cli.join('\n')).toMatch(/annotator; acting on flags needs a lead/);
    cli.length = 0;
    expect(await runCli(['flag', 'dismiss', '--phase', String(phaseId), '--item', String(z), '--user', lead.email], t.db, io)).toBe(0);
    expect(cli.join('\n')).toMatch(new RegExp(`item ${z}: dismissed \\(1 flag\\)`));
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId: z } } })).toBeNull();
    expect((await t.db.queueEntry.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: z } } })).done).toBe(true);

    expect((await listFlags(t.db, { phaseId })).open).toBe(0);
    const resolved = await call(routes.flags.GET, '/x?status=resolved', { token: lead.token, params: p });
    expect(Object.fromEntries(resolved.body.items.map((i: { itemId: number; status: string }) => [i.itemId, i.status]))).toEqual({ [x]: 'labelled', [y]: 'requeued', [z]: 'dismissed' });
    expect(resolved.body.items.find((i: { itemId: number }) => i.itemId === x)).toMatchObject({ resolvedBy: lead.email, humanLabel: { label: 'offensive', source: 'adjudication' } });
    const trail = await t.db.auditLog.findMany({ where: { action: { startsWith: 'flag.' }, target: { startsWith: `phase:${phaseId}/` } }, orderBy: { id: 'asc' } });
    expect(trail.map((r) => [r.action, r.target, r.userId])).toEqual([
      ['flag.label', `phase:${phaseId}/item:${x}`, lead.id],
      ['flag.requeue', `phase:${phaseId}/item:${y}`, lead.id],
      ['flag.dismiss', `phase:${phaseId}/item:${z}`, lead.id],
    ]);

    // Two leads acting on one flag at once: one resolves it, the other gets the same answer back.
    const v = (await nextItems(t.db, { phaseId, userId: ann[2].id, limit: 1 })).items[0].itemId;
    await submit(t.db, { phaseId, userId: ann[2].id, itemId: v, clientId: 'fv', action: 'flag' });
    const both = await Promise.all([resolveFlag(t.db, { phaseId, itemId: v, action: 'dismiss', userId: lead.id }), resolveFlag(t.db, { phaseId, itemId: v, action: 'dismiss', userId: lead.id })]);
    expect(both.map((b) => b.duplicate).sort()).toEqual([false, true]);
  });

  it('an answer is changed durably and idempotently; stale changes are refused; overlap, human label and conflicts follow', async () => {
    const phaseId = await newPhase(t.db, `change-${provider}`, { overlap: 1 });
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 8 }, (_, i) => ({ text: `change item ${i}`, p: 0.3 + i / 20 }))) });
    await rebuildQueue(t.db, phaseId);
    const p = { id: String(phaseId) };
    const [a, b] = (await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 2 })).items.map((i) => i.itemId);
    await submit(t.db, { phaseId, userId: ann[0].id, itemId: a, clientId: 'ca', action: 'label', label: 'safe' });
    expect((await t.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: a } } })).label).toBe('safe');

    const body = { clientId: 'ca', action: 'label', label: 'offensive', revision: 0 };
    const changed = await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body });
    expect(changed.body).toMatchObject({ duplicate: false, answer: { itemId: a, label: 'offensive', revision: 1, changedAt: expect.any(String) } });
    // The same change again (its answer was lost): nothing more happens.
    expect((await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body })).body).toMatchObject({ duplicate: true, answer: { revision: 1 } });
    expect(await t.db.auditLog.count({ where: { action: 'annotation.change', target: `phase:${phaseId}/item:${a}` } })).toBe(1);
    // A change from an older revision (another tab) is refused, and says what the answer is now.
    const stale = await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body: { ...body, label: 'safe' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatch(/changed meanwhile \(now “offensive”, revision 1\)/);
    expect((await call(routes.change.POST, '/x', { token: ann[1].token, params: p, body: { ...body, revision: 1 } })).status).toBe(409); // not theirs
    expect((await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body: { ...body, clientId: 'nope' } })).status).toBe(404);
    expect((await call(routes.change.POST, '/x', { token: ann[0].token, params: p, body: { ...body, label: 'maybe', revision: 1 } })).status).toBe(400);

    // Durable: another connection sees it, and the human label followed.
    const other = createDatabase(t.config);
    await tuneSqlite(other);
    try {
      expect(await other.db.annotation.findUniqueOrThrow({ where: { clientId: 'ca' } })).toMatchObject({ label: 'offensive', revision: 1 });
      expect((await other.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: a } } })).label).toBe('offensive');
    } finally {
      await other.db.$disconnect();
    }

    // Two copies of one change at once: one applies it, the other finds it applied.
    const twice = await Promise.all([1, 2].map(() => changeAnswer(t.db, { phaseId, userId: ann[0].id, clientId: 'ca', action: 'flag', note: 'on second thought', revision: 1 })));
    expect(twice.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(twice.map((r) => r.answer.revision)).toEqual([2, 2]);
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId: a } } })).toBeNull(); // a flag is no label
    expect((await listFlags(t.db, { phaseId })).items.map((i) => i.itemId)).toEqual([a]);

    // To skip: the item no longer counts toward the overlap and reopens for others; the flag leaves the lead's list.
    const open0 = (await queueState(t.db, phaseId))!.open;
    await changeAnswer(t.db, { phaseId, userId: ann[0].id, clientId: 'ca', action: 'skip', revision: 2 });
    expect((await queueState(t.db, phaseId))!.open).toBe(open0 + 1);
    expect((await listFlags(t.db, { phaseId })).open).toBe(0);
    const forB = await nextItems(t.db, { phaseId, userId: ann[1].id, limit: 10 });
    expect(forB.items.map((i) => i.itemId)).toContain(a);
    // B labels it; with overlap 1 it is full, so A's skip cannot become a label any more.
    await submit(t.db, { phaseId, userId: ann[1].id, itemId: a, clientId: 'cb-a', action: 'label', label: 'safe' });
    const full = await changeAnswer(t.db, { phaseId, userId: ann[0].id, clientId: 'ca', action: 'label', label: 'offensive', revision: 3 }).catch((e) => e);
    expect(full).toMatchObject({ status: 409, message: expect.stringMatching(/since answered by 1 other annotator/) });
    // An undone answer cannot be changed.
    await submit(t.db, { phaseId, userId: ann[0].id, itemId: b, clientId: 'cb', action: 'label', label: 'safe' });
    await undo(t.db, { phaseId, userId: ann[0].id, answerClientId: 'cb' });
    expect(await changeAnswer(t.db, { phaseId, userId: ann[0].id, clientId: 'cb', action: 'label', label: 'offensive', revision: 0 }).catch((e) => e)).toMatchObject({ status: 409, message: expect.stringMatching(/was undone/) });

    // Recent answers: newest first, with text and revision (the undone one is gone).
    const recent = await call(routes.recent.GET, '/x?limit=5', { token: ann[0].token, params: p });
    expect(recent.body.answers.map((r: { clientId: string; action: string; revision: number; text: string }) => [r.clientId, r.action, r.revision, r.text])).toEqual([['ca', 'skip', 3, expect.stringMatching(/^change item/)]]);
    expect((await call(routes.recent.GET, '/x?limit=0', { token: ann[0].token, params: p })).status).toBe(400);

    // The CLI over the same functions: list, change (a retry says so), and the queue as that user sees it.
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await runCli(['answers', '--phase', String(phaseId), '--user', ann[1].email, '--json'], t.db, io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject([{ clientId: 'cb-a', label: 'safe', revision: 0 }]);
    out.length = 0;
    const change = ['answer', 'change', '--phase', String(phaseId), '--user', ann[1].email, '--client-id', 'cb-a', '--revision', '0', '--label', 'offensive'];
    expect(await runCli(change, t.db, io)).toBe(0);
    expect(await runCli(change, t.db, io)).toBe(0);
    expect(out).toEqual([`item ${a}: label offensive (revision 1)`, `item ${a}: label offensive (revision 1, already so)`]);
    out.length = 0;
    expect(await runCli(['queue', 'status', '--phase', String(phaseId), '--user', ann[2].email], t.db, io)).toBe(0);
    expect(out.join('\n')).toMatch(/^items 9 \(pool 8\); queued 8, open \d+/);
  });

  it('with overlap 2 a changed label turns agreement into a conflict for the lead, and back', async () => {
    const phaseId = await newPhase(t.db, `overlap-${provider}`, { overlap: 2 });
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 4 }, (_, i) => ({ text: `pair item ${i}`, p: 0.4 + i / 10 }))) });
    await rebuildQueue(t.db, phaseId);
    const item = (await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 1 })).items[0].itemId;
    await nextItems(t.db, { phaseId, userId: ann[1].id, limit: 1 });
    await submit(t.db, { phaseId, userId: ann[0].id, itemId: item, clientId: 'o0', action: 'label', label: 'safe' });
    await submit(t.db, { phaseId, userId: ann[1].id, itemId: item, clientId: 'o1', action: 'label', label: 'safe' });
    expect((await t.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: item } } })).label).toBe('safe');
    await changeAnswer(t.db, { phaseId, userId: ann[1].id, clientId: 'o1', action: 'label', label: 'offensive', revision: 0 });
    expect(await t.db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId: item } } })).toBeNull();
    expect((await conflicts(t.db, phaseId)).conflicts.map((c) => c.itemId)).toEqual([item]);
    expect((await agreement(t.db, phaseId)).percentAgreement).toBe(0);
    await changeAnswer(t.db, { phaseId, userId: ann[1].id, clientId: 'o1', action: 'label', label: 'safe', revision: 1 });
    expect((await t.db.humanLabel.findUniqueOrThrow({ where: { phaseId_itemId: { phaseId, itemId: item } } })).label).toBe('safe');
    expect((await conflicts(t.db, phaseId)).total).toBe(0);
  });

  it('counts survive a new connection: session (pauses over 30 min end it), today in the annotator’s time zone, in all; per-annotator counts for the lead', async () => {
    const phaseId = await newPhase(t.db, `counts-${provider}`);
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 12 }, (_, i) => ({ text: `count item ${i}`, p: 0.3 + i / 30 }))) });
    await rebuildQueue(t.db, phaseId);
    const items = (await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 8 })).items.map((i) => i.itemId);
    for (const [i, itemId] of items.entries()) await submit(t.db, { phaseId, userId: ann[0].id, itemId, clientId: `n${i}`, action: i === 6 ? 'skip' : i === 7 ? 'flag' : 'label', label: i < 6 ? 'safe' : null });
    const route = await call(routes.mine.GET, '/x?tzOffset=-480', { token: ann[0].token, params: { id: String(phaseId) } });
    expect(route.body).toMatchObject({ total: 8, labelled: 6, skipped: 1, flagged: 1, today: 8, session: 8, sessionStartedAt: expect.any(String) });
    // On a fixed clock: the first three answers two hours before the rest, which came a minute apart.
    const T = Date.parse('2026-01-10T12:00:00Z');
    for (let i = 0; i < 8; i++) await t.db.annotation.update({ where: { clientId: `n${i}` }, data: { createdAt: new Date(i < 3 ? T - 2 * 3600_000 - (3 - i) * 60_000 : T - (8 - i) * 60_000) } });
    const other = createDatabase(t.config);
    await tuneSqlite(other);
    try {
      const counts = await myCounts(other.db, phaseId, ann[0].id, { now: new Date(T) });
      expect(counts).toMatchObject({ total: 8, today: 8, session: 5, sessionStartedAt: new Date(T - 5 * 60_000).toISOString() });
      // At 01:00 local time (UTC−11, getTimezoneOffset 660) the early answers were given yesterday.
      expect((await myCounts(other.db, phaseId, ann[0].id, { now: new Date(T), tzOffset: 660 })).today).toBe(5);
      // Forty minutes after the last answer, the session is over.
      expect((await myCounts(other.db, phaseId, ann[0].id, { now: new Date(T + 40 * 60_000) })).session).toBe(0);
    } finally {
      await other.db.$disconnect();
    }
    expect((await call(routes.mine.GET, '/x?tzOffset=abc', { token: ann[0].token, params: { id: String(phaseId) } })).status).toBe(400);

    // The review page: everyone's counts, while agreement (overlap 1) has no annotator on a shared item.
    const more = (await nextItems(t.db, { phaseId, userId: ann[1].id, limit: 2 })).items;
    await submit(t.db, { phaseId, userId: ann[1].id, itemId: more[0].itemId, clientId: 'm0', action: 'label', label: 'offensive' });
    await submit(t.db, { phaseId, userId: ann[1].id, itemId: more[1].itemId, clientId: 'm1', action: 'label', label: 'safe' });
    await undo(t.db, { phaseId, userId: ann[1].id });
    expect((await call(routes.agreement.GET, '/x', { token: lead.token, params: { id: String(phaseId) } })).body.annotators).toBe(0);
    const per = await call(routes.annotators.GET, '/x', { token: lead.token, params: { id: String(phaseId) } });
    expect(per.status).toBe(200);
    expect(per.body.annotators.map((a: Record<string, unknown>) => [a.email, a.total, a.labelled, a.skipped, a.flagged, a.openFlags, a.undone])).toEqual([
      [ann[0].email, 8, 6, 1, 1, 1, 0],
      [ann[1].email, 1, 1, 0, 0, 0, 1],
    ]);
    expect((await call(routes.annotators.GET, '/x', { token: ann[0].token, params: { id: String(phaseId) } })).status).toBe(403);
  });

  it('the empty queue explains itself: everything answered, all leased to others, waiting for overlap, a dependency, trusted labels', async () => {
    const phaseId = await newPhase(t.db, `empty-${provider}`, { overlap: 2 });
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(Array.from({ length: 3 }, (_, i) => ({ text: `empty item ${i}`, p: 0.5 }))) });
    const me = (u: number) => ({ phaseId, userId: ann[u].id, lead: false });
    expect((await queueStatus(t.db, { ...me(0), lead: true })).state.reason).toBe('building');
    await withWorker(t, () => waitFor('the rebuild', async () => (await queueStatus(t.db, me(0))).state.reason !== 'building'));
    const held = await nextItems(t.db, { phaseId, userId: ann[0].id, limit: 3 });
    await nextItems(t.db, { phaseId, userId: ann[1].id, limit: 3 });
    expect((await queueStatus(t.db, me(2))).state).toMatchObject({ reason: 'leased', retryInMs: expect.any(Number) });
    for (const [i, it] of held.items.entries()) await submit(t.db, { phaseId, userId: ann[0].id, itemId: it.itemId, clientId: `e0-${i}`, action: 'label', label: 'safe' });
    expect((await queueStatus(t.db, me(0))).state.reason).toBe('waiting-overlap');
    for (const [i, it] of held.items.entries()) await submit(t.db, { phaseId, userId: ann[1].id, itemId: it.itemId, clientId: `e1-${i}`, action: 'label', label: 'safe' });
    const done = await queueStatus(t.db, { ...me(2), lead: true });
    expect(done.state).toMatchObject({ reason: 'all-done', retryInMs: 15_000 });
    expect(done.state.actions.map((a) => a.kind)).toEqual(['round', 'import']);
    const cli: string[] = [];
    expect(await runCli(['queue', 'next', '--phase', String(phaseId), '--user', ann[2].email], t.db, { out: (l) => cli.push(l), err: (l) => cli.push(l) })).toBe(0);
    expect(cli.join('\n')).toMatch(/All 3 items of the queue have been answered/);

    // Every pool item carrying an imported gold label: nothing to hand out, and the lead can turn on QA re-labelling.
    const gold = await newPhase(t.db, `gold-${provider}`);
    await importFile(t.db, { phaseId: gold, format: 'jsonl', stream: () => jsonl([{ text: 'gold one', p: 0.4, label: 'safe' }, { text: 'gold two', p: 0.6, label: 'offensive' }]) });
    await withWorker(t, () => waitFor('the gold rebuild', async () => (await queueStatus(t.db, { phaseId: gold, userId: ann[0].id, lead: true })).state.reason !== 'building'));
    const g = await queueStatus(t.db, { phaseId: gold, userId: ann[0].id, lead: true });
    expect(g.state.reason).toBe('all-trusted');
    expect(g.state.actions[0].kind).toBe('relabel-trusted');

    // A dependent phase whose earlier phase labels nothing "offensive" yet: nothing reaches it.
    const task = await createTask(t.db, {
      slug: `dep-${provider}`,
      name: 'dep',
      phases: [
        { key: 'first', name: 'First', labels: ['safe', 'offensive'], testFraction: 1e-6 },
        { key: 'topic', name: 'Topic', labels: ['a', 'b'], testFraction: 1e-6, dependsOn: { phase: 'first', label: 'offensive' } },
      ],
    });
    const [first, topic] = (await t.db.phase.findMany({ where: { taskId: task.id }, orderBy: { position: 'asc' } })).map((x) => x.id);
    await importFile(t.db, { phaseId: first, format: 'jsonl', stream: () => jsonl([{ text: 'calm words', p: 0.1 }, { text: 'kind words', p: 0.2 }]) });
    await importFile(t.db, { phaseId: topic, format: 'jsonl', stream: () => jsonl([{ text: 'calm words', p: 0.5 }, { text: 'kind words', p: 0.5 }]) });
    await withWorker(t, () => waitFor('both rebuilds', async () => (await queueStatus(t.db, { phaseId: topic, userId: ann[0].id, lead: true })).state.reason !== 'building' && (await queueStatus(t.db, { phaseId: first, userId: ann[0].id, lead: true })).state.reason !== 'building'));
    const dep = await queueStatus(t.db, { phaseId: topic, userId: ann[0].id, lead: true });
    expect(dep.state).toMatchObject({ reason: 'dependency', detail: expect.stringMatching(/phase “First” labels them “offensive”/) });
    expect(dep.state.actions[0]).toMatchObject({ kind: 'earlier-phase', phaseId: first });
  });
});
