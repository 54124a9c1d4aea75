/**
 * Load against a real console: `npm run bench -- load`.
 *
 * For each database (SQLite, then PostgreSQL): a fresh database with LOAD_ITEMS synthetic items
 * (teacher outputs, gold labels) in one phase (overlap 1), 50 annotators with API tokens, a round
 * (a TextCNN student, LOAD_ROUND_CONFIG) started and trained by a real worker process, a live student (lib/models/deploy.ts) and the
 * console's production server (`server.ts`, what `npm start` runs; built first when .next is missing
 * or stale; LOAD_SERVER=next for plain `next start`) on a loopback port. Then LOAD_ANNOTATORS
 * simulated annotators pull `queue/next?limit=10` and submit every item they get, with
 * LOAD_THINK_MS between actions (each starting within one think time), for LOAD_WARMUP_SECONDS
 * (latencies reported apart) and then LOAD_SECONDS. Measured: p95 latency of next and submit, errors
 * (any non-2xx or network failure), duplicate leases (an item handed to two annotators while the
 * overlap is 1: leases last 10 minutes, so no lease expires during the run) and acknowledged
 * answers missing from the lead's JSONL export. Meanwhile LOAD_PREDICT_CLIENTS (default 10) clients
 * call the predict API, 8 texts a request, each pausing LOAD_PREDICT_PAUSE_MS (default 100) between
 * answers: predict p95/p99, items/s and errors.
 *
 * On SQLite it then holds the write lock from another connection (`BEGIN IMMEDIATE`) for 5 s while
 * 5 clients read (`GET /api/phases/:id`, `GET /login`): lock_5s_read_p95_ms; the same reads for 5 s
 * just before, with no lock held: unlocked_5s_read_p95_ms.
 *
 * Loopback only, bounded in count (LOAD_ANNOTATORS ≤ 200) and time (LOAD_SECONDS ≤ 600).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from '@libsql/client';
import { freshDatabase, type Provider, type TestDatabase } from '../tests/helpers/db.ts';
import { startWorkerProcess, type WorkerProcess } from '../tests/helpers/worker.ts';
import { buildIsCurrent, markBuilt } from '../lib/demo/build.ts';
import { consoleReady, startConsole, stopConsole, type ConsoleServer } from '../tests/helpers/console.ts';
import { deployFreshStudent, runPredictClients } from './predict-clients.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { startRound } from '../lib/rounds/rounds.ts';
import { writeSyntheticImport } from './synthetic-import.ts';
import { call, processCpuMs, type Answer } from './http-client.ts';

const root = resolve(import.meta.dirname, '..');
const envInt = (name: string, fallback: number, max: number) => {
  const v = Number(process.env[name]);
  return Math.min(max, Number.isInteger(v) && v > 0 ? v : fallback);
};
const ANNOTATORS = envInt('LOAD_ANNOTATORS', 50, 200);
const SECONDS = envInt('LOAD_SECONDS', 60, 600);
const ITEMS = envInt('LOAD_ITEMS', 20_000, 1_000_000);
const THINK_MS = Number.isFinite(Number(process.env.LOAD_THINK_MS)) && process.env.LOAD_THINK_MS !== '' ? Math.max(0, Number(process.env.LOAD_THINK_MS)) : 250;
const LOCK_MS = 5000;
/**
 * The first LOAD_WARMUP_SECONDS (default 5; 0 = none) of annotating are not in the latency figures
 * (they are reported apart, as *_warmup_*): a console that has just started compiles its routes and
 * JITs its code under the first burst of 50 clients. Everything else (errors, duplicate leases,
 * lost answers) counts from the first request.
 */
const WARMUP_SECONDS = Math.min(60, Math.max(0, Number.isFinite(Number(process.env.LOAD_WARMUP_SECONDS)) && process.env.LOAD_WARMUP_SECONDS !== '' ? Number(process.env.LOAD_WARMUP_SECONDS) : 5));
const PREDICT_CLIENTS = Math.min(50, Math.max(0, Number.isInteger(Number(process.env.LOAD_PREDICT_CLIENTS)) && process.env.LOAD_PREDICT_CLIENTS !== '' ? Number(process.env.LOAD_PREDICT_CLIENTS) : 10));
const PREDICT_PAUSE_MS = Math.max(0, Number(process.env.LOAD_PREDICT_PAUSE_MS ?? 100) || 0);
/**
 * The round that trains during the load: by default a TextCNN for 20 epochs without early stopping,
 * so that it trains through the whole measured minute (the default n-gram student trains 20k
 * synthetic items in seconds, a 3-epoch TextCNN in ≈ 15 s); LOAD_ROUND_CONFIG (JSON) for another.
 */
const ROUND_CONFIG = process.env.LOAD_ROUND_CONFIG ? (JSON.parse(process.env.LOAD_ROUND_CONFIG) as Record<string, unknown>) : { model: { arch: 'textcnn' }, train: { epochs: 20 }, patience: 0 };
const PROVIDERS = (process.env.LOAD_PROVIDERS || 'sqlite,postgres').split(',').filter((p): p is Provider => p === 'sqlite' || p === 'postgres');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))] * 10) / 10;
};
const p95 = (xs: number[]) => quantile(xs, 0.95);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

async function ensureBuild(): Promise<void> {
  if (buildIsCurrent(root)) return;
  console.error('[load] building the console (next build)…');
  await run(process.execPath, ['node_modules/next/dist/bin/next', 'build'], { ...process.env, NEXT_TELEMETRY_DISABLED: '1' });
  markBuilt(root);
}

function startServer(port: number, env: Record<string, string>): ConsoleServer {
  // LOAD_SERVER_NODE_ARGS: node flags for the console only, space-separated (`--cpu-prof --cpu-prof-dir=/tmp/p`).
  const nodeArgs = (process.env.LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startConsole({ port, env, nodeArgs, entry: process.env.LOAD_SERVER === 'next' ? 'next' : 'server' });
}

interface Annotator {
  id: number;
  token: string;
}

interface RunStats {
  next: number[];
  submit: number[];
  warmNext: number[];
  warmSubmit: number[];
  /** performance.now() from which latencies count. */
  measureFrom: number;
  errors: number;
  errorSamples: string[];
  handed: Map<number, Set<number>>;
  acked: number[];
}

/** LOAD_TRACE=<file>: every request's start (ms), kind (n/s) and latency, to see when slow ones happen. */
const trace: [number, string, number][] | null = process.env.LOAD_TRACE ? [] : null;

async function timed(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }, stats: RunStats, kind: 'next' | 'submit'): Promise<Answer | null> {
  const t0 = performance.now();
  try {
    const res = await call(url, init);
    const warm = t0 < stats.measureFrom;
    (kind === 'next' ? (warm ? stats.warmNext : stats.next) : warm ? stats.warmSubmit : stats.submit).push(performance.now() - t0);
    trace?.push([Math.round(t0), kind === 'next' ? 'n' : 's', Math.round(performance.now() - t0)]);
    if (!res.ok) {
      stats.errors++;
      if (stats.errorSamples.length < 5) stats.errorSamples.push(`${res.status} ${init.method ?? 'GET'} ${url.replace(/^http:\/\/[^/]+/, '')}: ${res.text.slice(0, 160)}`);
      return null;
    }
    return res;
  } catch (e) {
    stats.errors++;
    if (stats.errorSamples.length < 5) stats.errorSamples.push(`network: ${(e as Error).message}`);
    return null;
  }
}

async function annotate(base: string, phaseId: number, a: Annotator, until: number, stats: RunStats): Promise<void> {
  const auth = { authorization: `Bearer ${a.token}` };
  const submitHeaders = { ...auth, 'content-type': 'application/json' };
  const nextUrl = `${base}/api/phases/${phaseId}/queue/next?limit=10`;
  const submitUrl = `${base}/api/phases/${phaseId}/annotations`;
  let n = 0;
  // Annotators do not all click at the same millisecond: each starts within one think time.
  if (THINK_MS) await sleep(THINK_MS * Math.random());
  while (Date.now() < until) {
    const res = await timed(nextUrl, { headers: auth }, stats, 'next');
    if (!res) {
      await sleep(200);
      continue;
    }
    const batch = JSON.parse(res.text) as { items: { itemId: number }[] };
    if (!batch.items.length) return;
    for (const item of batch.items) {
      let users = stats.handed.get(item.itemId);
      if (!users) stats.handed.set(item.itemId, (users = new Set()));
      users.add(a.id);
    }
    for (const item of batch.items) {
      if (Date.now() >= until) return;
      if (THINK_MS) await sleep(THINK_MS * (0.5 + Math.random()));
      const body = JSON.stringify({ itemId: item.itemId, clientId: `load-${a.id}-${n++}`, action: 'label', label: item.itemId % 3 ? 'safe' : 'offensive' });
      const sub = await timed(submitUrl, { method: 'POST', headers: submitHeaders, body }, stats, 'submit');
      if (sub) stats.acked.push((JSON.parse(sub.text) as { annotation: { id: number } }).annotation.id);
    }
  }
}

async function lockReads(t: TestDatabase, base: string, phaseId: number, token: string, lock = true): Promise<{ p95: number | null; count: number; errors: number }> {
  const holder = createClient({ url: t.url });
  // BEGIN IMMEDIATE: the write lock, as sqlite3 or a backup would hold it. Without `lock`, the same
  // reads with no lock held: what they cost this console on this machine anyway.
  const tx = lock ? await holder.transaction('write') : null;
  const latencies: number[] = [];
  let errors = 0;
  try {
    await tx?.execute(`UPDATE "Task" SET "name" = "name"`);
    const until = Date.now() + LOCK_MS;
    await Promise.all(
      Array.from({ length: 5 }, async (_, k) => {
        while (Date.now() < until) {
          const url = k % 2 ? `${base}/login` : `${base}/api/phases/${phaseId}`;
          const t0 = performance.now();
          const res = await call(url, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
          latencies.push(performance.now() - t0);
          if (!res?.ok) errors++;
        }
      }),
    );
  } finally {
    await tx?.rollback().catch(() => {});
    holder.close();
  }
  return { p95: p95(latencies), count: latencies.length, errors };
}

async function runOn(provider: Provider, port: number): Promise<Record<string, unknown>> {
  const t = await freshDatabase(provider);
  const data = mkdtempSync(join(tmpdir(), `distillery-load-${provider}-`));
  let server: ConsoleServer | null = null;
  let worker: WorkerProcess | null = null;
  try {
    const lead = await createUser(t.db, { email: 'lead@load.dev', name: 'lead', role: 'lead', password: 'lead-password' });
    const leadToken = (await createApiToken(t.db, lead.id, 'load')).token;
    const annotators: Annotator[] = [];
    for (let i = 0; i < ANNOTATORS; i++) {
      const u = await createUser(t.db, { email: `a${i}@load.dev`, name: `a${i}`, role: 'annotator', password: 'annotator-pass' });
      annotators.push({ id: u.id, token: (await createApiToken(t.db, u.id, 'load')).token });
    }
    const task = await createTask(t.db, { slug: 'load', name: 'load', phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'], overlap: 1, relabelTrusted: true }] }); // every synthetic row has a gold label
    const phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    const file = join(data, 'items.csv');
    writeSyntheticImport(file, { rows: ITEMS, seed: 7 });
    await importFile(t.db, { phaseId, path: file, format: 'csv' });
    await rebuildQueue(t.db, phaseId);
    // The live student the predict clients call (round 0); the round that trains during the load is round 1.
    const sample = (await t.db.item.findMany({ where: { phaseId }, select: { text: true }, orderBy: { id: 'asc' }, take: 5000 })).map((r) => r.text);
    await deployFreshStudent(t.db, { phaseId, labels: ['safe', 'offensive'], texts: sample, artifactsDir: join(data, 'artifacts'), lead });
    const round = await startRound(t.db, { phaseId, config: ROUND_CONFIG, userId: lead.id });

    const env = { DATABASE_URL: t.url, DISTILLERY_DATA_DIR: data };
    worker = startWorkerProcess(env);
    server = startServer(port, env);
    const base = server.url;
    await consoleReady(server, 60_000);
    for (let i = 0; i < 240; i++) {
      const r = await t.db.round.findUniqueOrThrow({ where: { id: round.id } });
      if (r.status === 'running') break;
      await sleep(250);
    }
    const roundAtStart = (await t.db.round.findUniqueOrThrow({ where: { id: round.id } })).status;

    const stats: RunStats = { next: [], submit: [], warmNext: [], warmSubmit: [], measureFrom: performance.now() + WARMUP_SECONDS * 1000, errors: 0, errorSamples: [], handed: new Map(), acked: [] };
    const until = Date.now() + (WARMUP_SECONDS + SECONDS) * 1000;
    const pid = server.child.pid;
    let cpu0 = WARMUP_SECONDS ? null : processCpuMs(pid);
    const predicting = PREDICT_CLIENTS
      ? runPredictClients({ base, phaseId, token: leadToken, texts: sample, clients: PREDICT_CLIENTS, textsPerRequest: 8, pauseMs: PREDICT_PAUSE_MS, until, measureFrom: stats.measureFrom })
      : null;
    const warmed = setTimeout(() => (cpu0 = processCpuMs(pid)), WARMUP_SECONDS * 1000);
    await Promise.all(annotators.map((a) => annotate(base, phaseId, a, until, stats)));
    clearTimeout(warmed);
    const cpu1 = processCpuMs(pid);
    const predicted = predicting ? await predicting : null;
    if (trace) writeFileSync(`${process.env.LOAD_TRACE}.${provider}.json`, JSON.stringify(trace.splice(0)));
    // Every request the console answered in the measured window, the predict clients' included.
    const requests = stats.next.length + stats.submit.length + (predicted?.latencies.length ?? 0);
    const roundRow = await t.db.round.findUniqueOrThrow({ where: { id: round.id } });
    const roundAtEnd = roundRow.status;
    // How long the round trained alongside the measured window (seconds after it began; null: still running).
    const roundEndedAt = roundRow.finishedAt ? Math.round((roundRow.finishedAt.getTime() - (until - SECONDS * 1000)) / 100) / 10 : null;

    const exported = await fetch(`${base}/api/phases/${phaseId}/labels/export?format=jsonl`, { headers: { authorization: `Bearer ${leadToken}` } }).then((r) => r.text());
    const inExport = new Set(exported.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { annotationId: number }).annotationId));
    const lost = stats.acked.filter((id) => !inExport.has(id)).length;
    const duplicateLeases = [...stats.handed.values()].filter((u) => u.size > 1).length;

    const out: Record<string, unknown> = {
      [`${provider}_next_p95_ms`]: p95(stats.next),
      [`${provider}_submit_p95_ms`]: p95(stats.submit),
      [`${provider}_errors`]: stats.errors + (predicted?.errors ?? 0),
      [`${provider}_duplicate_leases`]: duplicateLeases,
      [`${provider}_lost_answers`]: lost,
      [`${provider}_next_calls`]: stats.next.length,
      [`${provider}_submits`]: stats.submit.length,
      [`${provider}_warmup_next_p95_ms`]: p95(stats.warmNext),
      [`${provider}_warmup_submit_p95_ms`]: p95(stats.warmSubmit),
      // What a request costs the console in CPU (all its threads), whatever else runs on the machine.
      [`${provider}_server_cpu_ms_per_request`]: cpu0 == null || cpu1 == null || !requests ? null : Math.round(((cpu1 - cpu0) / requests) * 100) / 100,
      ...(predicted
        ? {
            [`${provider}_predict_p95_ms`]: p95(predicted.latencies),
            [`${provider}_predict_p99_ms`]: quantile(predicted.latencies, 0.99),
            [`${provider}_predict_items_per_s`]: Math.round(predicted.items / SECONDS),
            [`${provider}_predict_requests`]: predicted.latencies.length,
            [`${provider}_predict_errors`]: predicted.errors,
            ...(predicted.errorSamples.length ? { [`${provider}_predict_error_samples`]: predicted.errorSamples } : {}),
          }
        : {}),
      [`${provider}_round`]: `${roundAtStart} at start, ${roundAtEnd} at end`,
      [`${provider}_round_ended_s_into_window`]: roundEndedAt,
      ...(stats.errorSamples.length ? { [`${provider}_error_samples`]: stats.errorSamples } : {}),
    };
    if (provider === 'sqlite') {
      const free = await lockReads(t, base, phaseId, leadToken, false);
      out.unlocked_5s_read_p95_ms = free.p95;
      const lock = await lockReads(t, base, phaseId, leadToken);
      out.lock_5s_read_p95_ms = lock.p95;
      out.lock_5s_reads = lock.count;
      out.lock_5s_read_errors = lock.errors;
    }
    return out;
  } finally {
    // A profiled console writes its profile on a normal exit only: SIGTERM first, then SIGKILL.
    if (server) await stopConsole(server, process.env.LOAD_SERVER_NODE_ARGS ? 5000 : 0);
    worker?.kill();
    await sleep(500);
    await t.drop().catch(() => {});
    rmSync(data, { recursive: true, force: true });
  }
}

export async function benchLoad(): Promise<Record<string, unknown>> {
  await ensureBuild();
  const out: Record<string, unknown> = { annotators: ANNOTATORS, seconds: SECONDS, warmup_seconds: WARMUP_SECONDS, items: ITEMS, think_ms: THINK_MS };
  let port = envInt('LOAD_PORT', 3400 + Math.floor(Math.random() * 400), 65_000);
  for (const provider of PROVIDERS) Object.assign(out, await runOn(provider, port++));
  return out;
}
