/**
 * A console serving a deployed student on loopback, for the infer benchmark and the load test:
 * a throwaway SQLite database with the COLD task, 5,000 imported items, two default-size
 * TextCNN students (fresh weights: speed does not depend on their values) — the first
 * approved and live, the second approved and ready to deploy — a lead's API token, and
 * the console's server (server.ts: Next's production build in .next, run `npm run build` first,
 * with the predict fast path).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, tuneSqlite } from '../lib/db/client.ts';
import { migrate } from '../lib/db/migrate.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { readCold } from '../lib/datasets/cold.ts';
import { COLD_TASK } from '../lib/demo/cold-task.ts';
import { DEFAULT_TEXTCNN } from '../lib/ml/config.ts';
import { initWeights } from '../lib/ml/model.ts';
import { exportOnnx } from '../lib/ml/onnx.ts';
import { Rng } from '../lib/ml/rng.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';
import { LocalArtifactStore } from '../lib/artifacts/store.ts';
import { modelArtifactKey } from '../lib/rounds/run.ts';
import { approveModel, deployModel } from '../lib/models/deploy.ts';
import { call, processCpuMs } from './http-client.ts';
import { RawConnection } from './raw-http.ts';
import { consoleReady, startConsole, stopConsole } from '../tests/helpers/console.ts';

export interface ServingFixture {
  url: string;
  phaseId: number;
  token: string;
  nextModelId: number;
  texts: string[];
  server: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (a profiled server needs seconds to write its profile). */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

export async function startServingFixture(opts: { port: number; env?: Record<string, string>; nodeArgs?: string[] }): Promise<ServingFixture> {
  if (!existsSync('.next/BUILD_ID')) throw new Error('no production build in .next: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-serve-bench-'));
  const file = join(dir, 'distillery.db');
  const url = `file:${file}`;
  const database = createDatabase({ provider: 'sqlite', url, file });
  await tuneSqlite(database);
  await migrate(database);
  const db = database.db;
  const lead = await createUser(db, { email: 'lead@bench.local', name: 'lead', role: 'lead', password: 'bench-password' });
  const token = (await createApiToken(db, lead.id, 'bench')).token;
  const task = await createTask(db, { ...COLD_TASK, phases: [COLD_TASK.phases[0]] });
  const phaseId = (await db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
  const cold = await readCold();
  const texts = cold.filter((r) => r.split === 'test').map((r) => r.text);
  await importFile(db, { phaseId, format: 'jsonl', stream: async function* () {
    yield cold.slice(0, 5000).map((r, i) => JSON.stringify({ id: r.id, text: r.text, time: i })).join('\n') + '\n';
  } });
  const vocab = Vocab.build(cold.filter((r) => r.split === 'train').map((r) => r.text), { minFreq: 2 });
  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  const ids: number[] = [];
  for (const seed of [1, 2]) {
    const round = await db.round.create({ data: { phaseId, number: seed - 1, config: '{}', status: 'succeeded' } });
    const key = modelArtifactKey(phaseId, round.number);
    await store.put(`${key}/student.onnx`, exportOnnx(initWeights(DEFAULT_TEXTCNN, vocab.size, 2, new Rng(seed)), { vocab: vocab.toJSON() }));
    const m = await db.studentModel.create({ data: { roundId: round.id, phaseId, arch: 'textcnn', artifactKey: key, config: JSON.stringify({ labels: ['safe', 'offensive'], student: DEFAULT_TEXTCNN }) } });
    await approveModel(db, { modelId: m.id, actor: lead, note: 'bench' });
    ids.push(m.id);
  }
  await deployModel(db, { modelId: ids[0], actor: lead });
  await db.$disconnect();

  // BENCH_SERVER=next: plain `next start` (no fast path, inference on the event loop), for before/after runs.
  const consoleServer = startConsole({ port: opts.port, env: { DATABASE_URL: url, DISTILLERY_DATA_DIR: dir, ...opts.env }, entry: process.env.BENCH_SERVER === 'next' ? 'next' : 'server', nodeArgs: opts.nodeArgs, capture: true });
  const server = consoleServer.child;
  const base = consoleServer.url;
  await consoleReady(consoleServer);
  return {
    url: base,
    phaseId,
    token,
    nextModelId: ids[1],
    texts,
    server,
    async stop({ graceMs = 500 } = {}) {
      await stopConsole(consoleServer, graceMs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  requests: number;
  items: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  itemsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p90Ms: number;
  maxMs: number;
  versions: Record<string, number>;
  /** CPU time of the server process (all its threads) per request: what a request costs, whatever else runs on the machine. */
  serverCpuMsPerRequest: number | null;
  /** CPU time of this process (the load generator) per request: it shares the cores with the server. */
  clientCpuMsPerRequest: number;
}

/** `clients` concurrent loops posting `textsPerRequest` texts each until `seconds` pass. */
export async function runClients(f: ServingFixture, opts: { clients: number; seconds: number; textsPerRequest: number; midway?: () => Promise<void>; client?: 'http' | 'raw' }): Promise<LoadResult> {
  const lat: number[] = [];
  const versions: Record<string, number> = {};
  let sent = 0;
  let items = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  // Bodies built before the clock starts (the generator's CPU is the server's too): 256
  // consecutive slices of the test texts, sent in turn.
  const auth = { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' };
  const bodies = Array.from({ length: 256 }, (_, b) =>
    Buffer.from(JSON.stringify({ texts: Array.from({ length: opts.textsPerRequest }, (_, i) => f.texts[(b * opts.textsPerRequest + i) % f.texts.length]) })),
  );
  const path = `/api/v1/phases/${f.phaseId}/predict`;
  const url = `${f.url}${path}`;
  // BENCH_CLIENT=raw: the lean generator (bench/raw-http.ts), one kept-alive connection per client
  // and prebuilt request bytes; default node:http (http-client.ts). Both check every answer alike.
  const raw = (opts.client ?? process.env.BENCH_CLIENT) === 'raw';
  const { hostname, port } = new URL(f.url);
  const prebuilt = raw ? bodies.map((b) => RawConnection.request('POST', `${hostname}:${port}`, path, auth, b)) : [];
  let cursor = 0;
  const client = async () => {
    const connection = raw ? new RawConnection(hostname, Number(port)) : null;
    while (performance.now() < end) {
      const k = cursor++ % bodies.length;
      const s = performance.now();
      try {
        const r = connection
          ? await connection.send(prebuilt[k]).then((a) => ({ status: a.status, ok: a.status >= 200 && a.status < 300, text: a.body.toString('utf8') }))
          : await call(url, { method: 'POST', headers: auth, body: bodies[k] });
        const answer = JSON.parse(r.text) as { modelVersion?: string; results?: unknown[]; error?: string };
        if (!r.ok || answer.results?.length !== opts.textsPerRequest) throw new Error(`${r.status} ${answer.error ?? ''}`);
        versions[answer.modelVersion!] = (versions[answer.modelVersion!] ?? 0) + 1;
        items += opts.textsPerRequest;
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push((e as Error).message);
      }
      sent++;
      lat.push(performance.now() - s);
    }
    connection?.close();
  };
  const cpu0 = processCpuMs(f.server.pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + opts.seconds * 1000;
  const mid = opts.midway ? new Promise((r) => setTimeout(r, (opts.seconds * 1000) / 2)).then(opts.midway) : Promise.resolve();
  await Promise.all([...Array.from({ length: opts.clients }, client), mid]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = processCpuMs(f.server.pid);
  const own = process.cpuUsage(own0);
  const requests = sent;
  const clientCpuMsPerRequest = requests ? Math.round(((own.user + own.system) / 1000 / requests) * 100) / 100 : 0;
  const serverCpuMsPerRequest = cpu0 == null || cpu1 == null || !requests ? null : Math.round(((cpu1 - cpu0) / requests) * 100) / 100;
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round((lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0) * 100) / 100;
  return { requests, items, errors, errorSamples, seconds, itemsPerSecond: Math.round(items / seconds), p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1), versions, serverCpuMsPerRequest, clientCpuMsPerRequest };
}

/** A deploy over the HTTP API, as a lead clicking Deploy would. */
export async function deployOverHttp(f: ServingFixture, modelId: number) {
  const r = await call(`${f.url}/api/models/${modelId}/deploy`, { method: 'POST', headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'deploy under load' }) });
  if (!r.ok) throw new Error(`deploy failed: ${r.status} ${r.text}`);
}
