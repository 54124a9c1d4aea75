/**
 * `npm run worker`: a standalone worker process on the database named by DATABASE_URL (or the
 * embedded SQLite file). Run several for parallelism; kill any of them at any time: its job's
 * lease expires and another worker takes the job over.
 *
 * Environment: WORKER_ID (default host:pid:random), WORKER_LEASE_MS (30000), WORKER_POLL_MS (1000),
 * WORKER_TYPES (comma-separated subset of job types, e.g. a GPU box taking only 'round'),
 * WORKER_AUTO_ROUND_MS (10000: how often the worker checks for phases due an automatic round),
 * WORKER_NICE (10: the worker runs at a lower CPU priority than the console, lib/jobs/priority.ts).
 * SIGTERM/SIGINT: stop claiming; the running job finishes or goes back to the queue. A second
 * signal exits at once (the lease then expires and the job is retried).
 */
import { getDatabase, tuneSqlite } from '../lib/db/client.ts';
import { handlers as allHandlers, periodic } from './handlers.ts';
import { defaultWorkerId, runWorker } from '../lib/jobs/runner.ts';
import type { JobHandler } from '../lib/jobs/handler.ts';
import { lowerAutogroupPriority, lowerPriority, workerNice } from '../lib/jobs/priority.ts';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (milliseconds), got "${raw}"`);
  return n;
}

function selectHandlers(): Record<string, JobHandler> {
  const wanted = (process.env.WORKER_TYPES || '').split(',').map((t) => t.trim()).filter(Boolean);
  if (!wanted.length) return allHandlers;
  const unknown = wanted.filter((t) => !allHandlers[t]);
  if (unknown.length) throw new Error(`WORKER_TYPES names unknown job types: ${unknown.join(', ')} (known: ${Object.keys(allHandlers).join(', ')})`);
  return Object.fromEntries(wanted.map((t) => [t, allHandlers[t]]));
}

const stamp = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main() {
  const leaseMs = positiveInt('WORKER_LEASE_MS', 30_000);
  const pollMs = positiveInt('WORKER_POLL_MS', 1_000);
  const handlers = selectHandlers();
  // Training takes every core it gets; the console's requests must not wait behind it.
  const nice = workerNice();
  if (nice > 0) {
    lowerPriority(nice);
    // In its own session the thread priorities above count only against its own threads.
    const group = lowerAutogroupPriority(nice);
    if (group !== null) stamp(`worker: nice ${nice}, its own session's autogroup too`);
  }
  // No request waits on the worker: it may wait longer for a locked SQLite file than the console (3 s).
  process.env.DISTILLERY_SQLITE_BUSY_WAIT_MS ??= '30000';
  const database = await getDatabase();
  // migrate() runs in a transaction, after which the libsql client continues on a fresh
  // connection without the busy_timeout pragma; set it again so this process waits for the
  // console's writes instead of failing with SQLITE_BUSY.
  await tuneSqlite(database);

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      stamp(`${sig} again: exiting now; the running job is retried when its lease expires`);
      process.exit(130);
    }
    stamp(`${sig}: stopping; the running job finishes or goes back to the queue`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await runWorker({
    database,
    workerId: process.env.WORKER_ID || defaultWorkerId(),
    handlers,
    periodic,
    leaseMs,
    pollMs,
    signal: controller.signal,
    log: stamp,
  });
  await database.db.$disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
