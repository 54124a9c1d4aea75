/**
 * Scaling out: a worker on another host. The test makes that host itself: a network namespace
 * whose only way out is a relay to PostgreSQL (tests/helpers/netns.ts), a mount namespace where the
 * console's data folder, the datasets and this machine's /tmp are hidden, and an empty tmpfs of its
 * own as its data folder. A lead starts a round through the console (the production server,
 * `next start`, on PostgreSQL with DISTILLERY_ARTIFACTS=db); the real worker entry
 * (workers/main.ts, WORKER_TYPES=round) claims it in the namespace, trains, and stores the model in
 * the database; the console then shows the round and its model (in Chromium), serves predictions
 * from it and hands out its download, although no file of the worker's ever reached the console.
 *
 * Needs root, `ip`, `nft` and `unshare` (scripts/ensure-test-deps.sh installs them where it can);
 * where they are missing the test fails and says why, unless DISTILLERY_TEST_NO_NETNS=1 skips it
 * on purpose. Like the fault test, it needs the production build (npm test builds first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { killConsole, startConsole, type ConsoleServer } from './helpers/console.ts';
import { createIsolatedHost, listeningPorts, netnsUnavailable, type IsolatedHost, type ProbeTarget } from './helpers/netns.ts';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker.ts';
import { buildIsCurrent } from '../lib/demo/build.ts';
import { DbArtifactStore } from '../lib/artifacts/store.ts';
import { createApiToken, createUser } from '../lib/auth/users.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { importFile } from '../lib/import/importer.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { writeSyntheticImport } from '../bench/synthetic-import.ts';

const root = resolve(import.meta.dirname, '..');
const wanted = providers.includes('postgres'); // the scale-out path is PostgreSQL's; DISTILLERY_TEST_PROVIDERS=sqlite narrows it away
const optedOut = process.env.DISTILLERY_TEST_NO_NETNS === '1';
const unavailable = wanted && !optedOut ? netnsUnavailable() : null;
if (unavailable) {
  throw new Error(
    `netns.test.ts cannot make its isolated worker host: ${unavailable}. ` +
      'Run the suite as root on Linux with iproute2, nftables and util-linux, or set DISTILLERY_TEST_NO_NETNS=1 to skip this test explicitly.',
  );
}
if (wanted && optedOut) console.warn('netns.test.ts skipped: DISTILLERY_TEST_NO_NETNS=1');
const built = buildIsCurrent(root);
if (wanted && !optedOut && !built && process.env.CI) throw new Error('netns.test.ts needs a current production build: npm test runs scripts/build.ts before the integration tests');
if (wanted && !optedOut && !built) console.warn('netns.test.ts skipped: no current production build (.next); run `npx tsx scripts/build.ts` first');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WORKER_ID = `netns-worker-${process.pid}`;

/** A port nobody listens on now (the OS picks it), for the console. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!wanted || optedOut || !built)('a worker on another host (own network and mount namespace) on PostgreSQL with artifacts in the database', () => {
  let t: TestDatabase | undefined;
  let host: IsolatedHost | undefined;
  let server: ConsoleServer | null = null;
  let worker: WorkerProcess | null = null;
  let browser: Browser | null = null;
  const dirs: string[] = [];
  afterAll(async () => {
    await browser?.close().catch(() => {});
    worker?.kill();
    killConsole(server);
    await host?.destroy();
    await t?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('trains a round the console starts, shows and serves, with only PostgreSQL reachable from the worker', async () => {
    const consoleData = mkdtempSync(join(tmpdir(), 'distillery-netns-console-'));
    // On this machine an empty folder; in the worker's mount namespace a tmpfs only the worker sees.
    const workerData = mkdtempSync(join(tmpdir(), 'distillery-netns-worker-'));
    dirs.push(consoleData, workerData);
    t = await freshDatabase('postgres');
    const db = t.db;
    const lead = await createUser(db, { email: 'lead@netns.dev', name: 'lead', role: 'lead', password: 'lead-password' });
    const token = (await createApiToken(db, lead.id, 'netns')).token;
    const task = await createTask(db, { slug: 'netns', name: 'scale-out', phases: [{ key: 'p', name: 'P', labels: ['safe', 'offensive'] }] });
    const phaseId = (await db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
    const file = join(consoleData, 'uploads', 'items.csv'); // what an upload to the console leaves behind
    mkdirSync(dirname(file), { recursive: true });
    writeSyntheticImport(file, { rows: 1500, seed: 12 });
    await importFile(db, { phaseId, path: file, format: 'csv' });

    // The console: the production server on PostgreSQL, model files in the database.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = startConsole({ port, env: { DATABASE_URL: t.url, DISTILLERY_DATA_DIR: consoleData, DISTILLERY_ARTIFACTS: 'db' }, entry: 'next' });
    await waitFor('the console', () => fetch(`${base}/login`).then((r) => r.ok, () => false), undefined, 60_000, 200);

    // The other host, and what it can reach: the relay, and nothing else of this machine or beyond.
    const pg = new URL(t.url);
    host = await createIsolatedHost({ target: { host: pg.hostname, port: Number(pg.port || 5432) }, root });
    const hide = [tmpdir(), consoleData, resolve(root, '../shared/datasets'), process.env.DISTILLERY_DATASETS_DIR ?? '', resolve(root, 'data')].filter(Boolean);
    const ownAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal && a.address !== host!.hostAddress)
      .map((a) => a!.address);
    const blocked: ProbeTarget[] = [
      ...listeningPorts().filter((p) => p !== host!.relayPort).map((p) => ({ host: host!.hostAddress, port: p })), // every service of this machine, the console and PostgreSQL among them
      { host: '127.0.0.1', port }, // the console, at the address it listens on
      { host: '127.0.0.1', port: Number(pg.port || 5432) },
      ...ownAddresses.map((a) => ({ host: a, port })),
      { host: '1.1.1.1', port: 443 }, // the internet
      { host: '8.8.8.8', port: 53 },
    ];
    expect(blocked.some((b) => b.host === host!.hostAddress && b.port === port)).toBe(true);
    const relay = { host: host.hostAddress, port: host.relayPort };
    const seen = await host.probe({ targets: [relay, ...blocked], paths: [file, workerData], hide, privateDir: workerData });
    expect(seen.connections[0]).toEqual({ ...relay, outcome: 'connected' });
    expect(seen.connections.slice(1).filter((c) => c.outcome === 'connected'), 'reachable from the worker host').toEqual([]);
    expect(seen.dns).not.toMatch(/^resolved/);
    expect(seen.addresses.filter((a) => a !== '::1')).toEqual([host.address, '127.0.0.1']); // loopback, and its own link (IPv4 only)
    // No file of the console's is visible there; the worker's data folder exists only there.
    expect(seen.paths).toEqual({ [file]: false, [workerData]: true });
    expect(existsSync(file)).toBe(true);

    // A lead starts a round from the console; the worker on the other host takes it.
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const start = await fetch(`${base}/api/phases/${phaseId}/rounds`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: { arch: 'textcnn', embeddingDim: 16, filters: 16, kernelSizes: [2, 3], maxLen: 32 }, train: { epochs: 2, seed: 5 } }),
    });
    expect(start.status, await start.clone().text()).toBe(201);
    const roundId = ((await start.json()) as { round: { id: number } }).round.id;
    const relayedBefore = host.relayed();
    worker = startWorkerProcess(
      {
        PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: workerData,
        TMPDIR: join(workerData, 'tmp'),
        DATABASE_URL: host.relayUrl(t.url),
        DATABASE_POOL_SIZE: '4',
        DISTILLERY_ARTIFACTS: 'db',
        DISTILLERY_DATA_DIR: workerData,
        DISTILLERY_DATASETS_DIR: join(workerData, 'datasets'),
        WORKER_TYPES: 'round',
        WORKER_ID,
        WORKER_POLL_MS: '200',
      },
      { wrap: host.wrap({ hide, privateDir: workerData }), cleanEnv: true },
    );
    type RoundView = { status: string; error: string | null };
    const round = await waitFor(
      'the round, as the console shows it',
      async () => {
        const res = await fetch(`${base}/api/rounds/${roundId}`, { headers });
        const r = res.ok ? ((await res.json()) as { round: RoundView }).round : null;
        return r && ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : null;
      },
      () => worker!.lines,
      240_000,
      500,
    );
    expect(round.status, `${round.error ?? ''}\n${worker.lines.join('\n')}`).toBe('succeeded');
    worker.kill();
    await worker.exited;

    // It was that worker, over the relay; its files went to the database, and none to either disk.
    const job = await db.job.findFirstOrThrow({ where: { type: 'round' }, orderBy: { id: 'desc' } });
    expect(job.leaseOwner).toBe(WORKER_ID);
    expect(host.relayed()).toBeGreaterThan(relayedBefore);
    const model = await db.studentModel.findFirstOrThrow({ where: { roundId } });
    const keys = (await db.artifact.findMany({ where: { key: { startsWith: `${model.artifactKey}/` } }, select: { key: true } })).map((a) => a.key.slice(model.artifactKey.length + 1));
    expect(keys).toEqual(expect.arrayContaining(['student.onnx', 'vocab.json', 'config.json', 'model-card.md']));
    expect(readdirSync(workerData)).toEqual([]);
    expect(existsSync(join(consoleData, 'artifacts'))).toBe(false);

    // The console shows the round and its model (the page renders the model card from the database).
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ baseURL: base });
    await page.goto('/login');
    await page.getByLabel('Email').fill('lead@netns.dev');
    await page.getByLabel('Password').fill('lead-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/tasks$/);
    await page.goto('/rounds');
    const row = page.getByTestId(`rounds-${phaseId}`).getByTestId('round-row-0');
    await row.getByTestId('round-status').getByText('succeeded').waitFor();
    await page.goto(`/models/${model.id}`);
    await page.getByText(`Student model — phase ${phaseId}, round 0`).waitFor();

    // Its predictions come from the model the worker stored: the same probabilities as that ONNX file here.
    for (const step of ['approve', 'deploy']) {
      const res = await fetch(`${base}/api/models/${model.id}/${step}`, { method: 'POST', headers, body: JSON.stringify({ note: 'trained on the other host' }) });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const texts = ['ka lo mi ren', '你好 shu ve', '的一是不了人我在有'];
    const predicted = await fetch(`${base}/api/v1/phases/${phaseId}/predict`, { method: 'POST', headers, body: JSON.stringify({ texts }) });
    expect(predicted.status).toBe(200);
    const { results } = (await predicted.json()) as { results: { probs: Record<string, number>; modelVersion: string }[] };
    expect(results).toHaveLength(texts.length);
    const onnx = (await new DbArtifactStore(db).get(`${model.artifactKey}/student.onnx`))!;
    const student = await OnnxStudent.load(new Uint8Array(onnx));
    const direct = (await student.predict(texts)).probs;
    await student.release();
    results.forEach((r, i) => {
      expect(r.modelVersion).toBe(`p${phaseId}.r0`);
      expect(Math.abs(r.probs.safe - direct[2 * i])).toBeLessThan(1e-5);
      expect(Math.abs(r.probs.offensive - direct[2 * i + 1])).toBeLessThan(1e-5);
    });

    // And its download holds that same file.
    const download = await fetch(`${base}/api/models/${model.id}/download`, { headers });
    expect(download.status).toBe(200);
    const unpacked = join(consoleData, 'download');
    mkdirSync(unpacked);
    writeFileSync(join(unpacked, 'model.tar.gz'), Buffer.from(await download.arrayBuffer()));
    execFileSync('tar', ['-xzf', join(unpacked, 'model.tar.gz'), '-C', unpacked]);
    const onnxFile = execFileSync('find', [unpacked, '-name', 'model.onnx'], { encoding: 'utf8' }).trim();
    expect(readFileSync(onnxFile).equals(onnx)).toBe(true);
  });
});
