/**
 * The README's first command: sets up the demo on embedded SQLite (accounts, the COLD task
 * with its two phases, imported data), builds and starts the console, and runs a worker in
 * this process. Re-running reuses what is already there.
 *
 *   npm run demo [-- --port 3000] [--no-train] [--worker] [--teacher reference-v1]
 *
 * --no-train skips the demo teacher and round 0 and, alone, runs no worker; --worker still runs
 * the in-process worker, so rounds started from the console or the API run (the e2e tests).
 * --teacher picks another reference teacher than the default (lib/teachers/reference.ts), e.g.
 * the slower first one; a phase without that teacher's outputs gets them (and loses the other's).
 */
import { spawn } from 'node:child_process';
import { getDatabase } from '../lib/db/client.ts';
import { dataDir } from '../lib/config/env.ts';
import { parseArgs } from '../lib/cli/args.ts';
import { demoAccounts, ensureAdminFromEnv, ensureDemoAccounts } from '../lib/demo/accounts.ts';
import { buildIsCurrent, markBuilt } from '../lib/demo/build.ts';
import { setupColdDemo } from '../lib/demo/cold.ts';
import { enqueueDemoTeacher } from '../lib/demo/teacher-job.ts';
import { roundZeroLine, roundZeroState } from '../lib/demo/round-zero.ts';
import { referenceTeacher } from '../lib/teachers/reference.ts';
import { defaultWorkerId, runWorker } from '../lib/jobs/runner.ts';
import { describeProgress as describeJobProgress } from '../lib/jobs/progress.ts';
import { handlers, periodic } from '../workers/handlers.ts';
import { tuneSqlite } from '../lib/db/client.ts';

const args = parseArgs(process.argv.slice(2));
const port = Number(args.flags.port ?? process.env.PORT ?? 3000);
const host = String(args.flags.host ?? '127.0.0.1');
const root = process.cwd();
const log = (msg: string) => console.log(`[demo] ${msg}`);
process.env.NEXT_TELEMETRY_DISABLED = '1';

function run(cmd: string, argv: string[], label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: 'inherit', env: process.env });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${label} exited with code ${code}`))));
  });
}

const started = Date.now();
log(`data folder: ${dataDir()} (SQLite${process.env.DATABASE_URL ? ` / DATABASE_URL=${process.env.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}` : ''})`);
const database = await getDatabase();
await tuneSqlite(database);
const { db } = database;
await ensureDemoAccounts(db);
await ensureAdminFromEnv(db);
const { taskId } = await setupColdDemo(db, { log });
const train = args.flags['no-train'] !== true;
const worker = train || args.flags.worker === true;
const teacher = referenceTeacher(typeof args.flags.teacher === 'string' ? args.flags.teacher : undefined);
// Phase 1, whose round 0 the terminal announces when it is ready.
let roundZeroPhase: number | null = null;
if (train) {
  // The teacher stands in for a BERT: trained here on COLD's training file, its outputs computed
  // by inference for every item. Phase 1 then gets round 0. Both run in the background.
  for (const phase of await db.phase.findMany({ where: { taskId }, orderBy: { position: 'asc' } })) {
    // Outputs of this teacher, not any: a database from an older demo gets the current teacher.
    const hasOutputs = await db.teacherPrediction.count({ where: { teacher: { phaseId: phase.id, name: teacher.name } } });
    if (!hasOutputs) {
      await enqueueDemoTeacher(db, { phaseId: phase.id, startRound: phase.position === 0, teacher: teacher.name });
      log(`queued: train the reference teacher ${teacher.name} for phase "${phase.name}"${phase.position === 0 ? ', then round 0' : ''}`);
    }
    if (phase.position === 0 && (await roundZeroState(db, phase.id)).status !== 'succeeded') roundZeroPhase = phase.id;
  }
}

await run(process.execPath, ['scripts/copy-ort-wasm.mjs'], 'copy onnxruntime-web wasm'); // the try-it page's runtime, served from public/
if (!buildIsCurrent(root)) {
  log('building the console (next build; a few minutes on 2 cores, once)…');
  await run(process.execPath, ['node_modules/next/dist/bin/next', 'build'], 'next build');
  markBuilt(root);
}

log(`starting the console on http://${host}:${port}`);
// server.ts: Next's production build plus the predict API's fast path (what `npm start` runs).
const server = spawn(process.execPath, ['--import', 'tsx', 'server.ts', '-p', String(port), '-H', host], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, DISTILLERY_DATA_DIR: dataDir() },
});
const stop = () => {
  server.kill('SIGTERM');
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code) => {
  log(`console stopped (code ${code})`);
  process.exit(code ?? 0);
});

for (let i = 0; i < 120; i++) {
  const ok = await fetch(`http://${host}:${port}/login`).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 500));
}
const consoleReady = Date.now();
log(`console ready at http://${host}:${port} after ${Math.round((consoleReady - started) / 1000)} s. Log in with:`);
for (const a of demoAccounts()) log(`  ${a.role.padEnd(9)} ${a.email.padEnd(28)} ${a.password}`);

if (worker) {
  // The in-process worker: teacher training and rounds, with progress in this terminal (and on
  // the console's Rounds page). Progress lines are thinned to one per job every 5 s.
  const lastProgress = new Map<string, number>();
  const workerLog = (line: string) => {
    const m = /^(job \d+) \(([^,)]*)[^)]*\) progress (.*)$/.exec(line);
    if (m) {
      if (Date.now() - (lastProgress.get(m[1]) ?? 0) < 5000) return;
      lastProgress.set(m[1], Date.now());
      return log(`${m[1]} ${m[2]}: ${describeProgress(m[3])}`);
    }
    log(line);
  };
  void runWorker({ database, workerId: `demo:${defaultWorkerId()}`, handlers, periodic, log: workerLog }).catch((e) => log(`worker stopped: ${(e as Error).message}`));
}

if (roundZeroPhase != null) {
  // Says once when round 0 of phase 1 has a student (or failed), and how long after the console answered.
  const phaseId = roundZeroPhase;
  void (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const state = await roundZeroState(db, phaseId).catch(() => null);
      if (state?.status === 'succeeded' || state?.status === 'failed' || state?.status === 'cancelled') {
        return log(roundZeroLine(state, { sinceConsoleSeconds: (Date.now() - consoleReady) / 1000, sinceStartSeconds: (Date.now() - started) / 1000 }));
      }
    }
  })();
}

function describeProgress(json: string): string {
  try {
    return describeJobProgress(JSON.parse(json)).text;
  } catch {
    return json;
  }
}
