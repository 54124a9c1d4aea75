/**
 * The worker loop: claims jobs of the types it has handlers for, runs one at a time (training is
 * CPU-bound; scale out with more worker processes), keeps the lease alive while the handler runs,
 * records the outcome, and reaps leases of workers that died. Runs in-process (the demo runs one
 * inside the console, `cli worker` in the CLI's process) or as its own process (workers/main.ts).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { badRequest, DomainError } from '../errors.ts';
import { isHandOver, JobCancelledError, LeaseLostError, WorkerStoppingError } from './errors.ts';
import type { JobContext, JobHandler } from './handler.ts';
import {
  claim,
  complete,
  fail,
  heartbeat,
  reapExpired,
  release,
  retryDelayMs,
  type Job,
} from './queue.ts';

export interface RunWorkerOptions {
  database: Database;
  /** Unique per running loop: it is the lease token. See defaultWorkerId(). */
  workerId: string;
  handlers: Record<string, JobHandler>;
  /** Sleep between claims when the queue is empty (default 1000). */
  pollMs?: number;
  /** Lease length (default 30 s). Must exceed the longest stretch a handler runs without awaiting. */
  leaseMs?: number;
  /** Heartbeat period while a handler runs (default leaseMs / 3). */
  heartbeatMs?: number;
  /** How often expired leases are reaped (default leaseMs). */
  reapEveryMs?: number;
  /**
   * After the job's signal is aborted (cancel, lease lost, stopping), how long to wait for the
   * handler to return before giving up on it (default 10 s).
   */
  abortGraceMs?: number;
  /** First retry delay after a failure; doubles per attempt (default 5 s, see retryDelayMs). */
  retryBaseMs?: number;
  /** Stops the loop: no new claims; the current job finishes or goes back to the queue. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Checks the worker runs on their own timers, also while a job runs (e.g. starting automatic rounds). */
  periodic?: PeriodicTask[];
}

/** A check a worker runs every `everyMs` (never two of the same at once); what it returns, if anything, is logged. */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run: (database: Database) => Promise<string | void>;
}

export interface WorkerSummary {
  claimed: number;
  succeeded: number;
  retried: number;
  failed: number;
  cancelled: number;
  /** Handed back to the queue because the worker stopped. */
  released: number;
  /** Lease lost while running: the job was left to whoever holds it now. */
  lost: number;
  reaped: number;
}

/** host:pid:random — unique per loop, and says where to look when a lease expires. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Errors that running again cannot fix: the domain rejected the input (a 4xx DomainError). */
export function isPermanentError(e: unknown): boolean {
  return e instanceof DomainError && e.status >= 400 && e.status < 500;
}

export async function runWorker(opts: RunWorkerOptions): Promise<WorkerSummary> {
  const { database, workerId, handlers, signal } = opts;
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 1_000;
  const reapEveryMs = opts.reapEveryMs ?? leaseMs;
  const log = opts.log ?? ((line: string) => console.log(line));
  const types = Object.keys(handlers);
  if (!types.length) throw new Error('runWorker needs at least one handler');
  const summary: WorkerSummary = { claimed: 0, succeeded: 0, retried: 0, failed: 0, cancelled: 0, released: 0, lost: 0, reaped: 0 };

  log(`worker ${workerId} started (job types: ${types.join(', ')}; lease ${leaseMs} ms)`);

  // Reaping runs on its own timer, also while this worker is busy with a long job, so a dead
  // worker's jobs go back to the queue for the idle workers without waiting for this one.
  let reaping: Promise<void> | null = null;
  const reap = () => {
    reaping ??= reapExpired(database)
      .then((reaped) => {
        for (const r of reaped) {
          summary.reaped++;
          log(`job ${r.id}: lease of ${r.previousOwner ?? 'a worker'} expired → ${r.status}`);
        }
      })
      .catch((e) => log(`worker ${workerId}: reaping failed: ${(e as Error).message}`))
      .finally(() => (reaping = null));
    return reaping;
  };
  const reaper = setInterval(reap, reapEveryMs);
  const running = new Map<string, Promise<void>>();
  const timers = (opts.periodic ?? []).map((task) =>
    setInterval(() => {
      if (running.has(task.name) || signal?.aborted) return;
      const run = task
        .run(database)
        .then((message) => void (message && log(`worker ${workerId}: ${task.name}: ${message}`)))
        .catch((e) => log(`worker ${workerId}: ${task.name} failed: ${(e as Error).message}`))
        .finally(() => running.delete(task.name));
      running.set(task.name, run);
    }, task.everyMs),
  );

  let errorStreak = 0;
  try {
    await reap();
    while (!signal?.aborted) {
      try {
        const job = await claim(database, { workerId, types, leaseMs });
        errorStreak = 0;
        if (!job) {
          await sleep(pollMs, signal);
          continue;
        }
        summary.claimed++;
        await runOne(job, { ...opts, leaseMs, log }, summary);
      } catch (e) {
        // The database is unreachable or busy: keep the worker alive and back off.
        errorStreak++;
        log(`worker ${workerId}: ${(e as Error).message}; retrying`);
        await sleep(Math.min(pollMs * 2 ** errorStreak, 30_000), signal);
      }
    }
  } finally {
    clearInterval(reaper);
    for (const t of timers) clearInterval(t);
    await reaping;
    await Promise.all(running.values());
  }
  log(`worker ${workerId} stopped: ${JSON.stringify(summary)}`);
  return summary;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | { ok: false; abandoned: true };

async function runOne(
  job: Job,
  opts: RunWorkerOptions & { leaseMs: number; log: (line: string) => void },
  summary: WorkerSummary,
): Promise<void> {
  const { database, workerId, leaseMs, log } = opts;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3));
  const abortGraceMs = opts.abortGraceMs ?? 10_000;
  // Progress is written at most this often from ctx.heartbeat; the timer writes the rest.
  const progressWriteMs = Math.min(1_000, heartbeatMs);
  const tag = `job ${job.id} (${job.type}, attempt ${job.attempts}/${job.maxAttempts})`;
  const handler = opts.handlers[job.type];

  const controller = new AbortController();
  const stop = () => controller.abort(new WorkerStoppingError(`worker ${workerId} is stopping`));
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });

  let finished = false;
  let lastHeld = Date.now();
  let lastWrite = 0;
  let pending: { progress: unknown } | null = null;
  let chain: Promise<void> = Promise.resolve();

  // Heartbeats are serialised so a timer tick and a handler's call never race each other, and
  // the final complete/fail waits for the last one.
  const beat = () =>
    (chain = chain.then(async () => {
      if (finished) return;
      const sending = pending;
      pending = null;
      lastWrite = Date.now();
      try {
        const r = await heartbeat(database, job.id, workerId, leaseMs, sending?.progress);
        if (!r.held) controller.abort(new LeaseLostError(`job ${job.id} is no longer leased to ${workerId}`));
        else {
          lastHeld = Date.now();
          if (sending) log(`${tag} progress ${JSON.stringify(sending.progress)}`);
          if (r.cancelRequested) controller.abort(new JobCancelledError(`job ${job.id} was cancelled`));
        }
      } catch (e) {
        pending ??= sending;
        log(`${tag} heartbeat failed: ${(e as Error).message}`);
        // Past the lease without a confirmed heartbeat, another worker may own the job now.
        if (Date.now() - lastHeld > leaseMs) controller.abort(new LeaseLostError(`job ${job.id}: no heartbeat for ${leaseMs} ms`));
      }
    }));
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return; // a slow database must not pile up heartbeats
    beating = true;
    void beat().finally(() => (beating = false));
  }, heartbeatMs);

  const ctx: JobContext = {
    workerId,
    signal: controller.signal,
    log: (message) => log(`${tag} ${message}`),
    async heartbeat(progress?: unknown) {
      if (controller.signal.aborted) throw controller.signal.reason;
      if (progress !== undefined) pending = { progress };
      if (Date.now() - lastWrite >= progressWriteMs) await beat();
      if (controller.signal.aborted) throw controller.signal.reason;
    },
  };

  log(`${tag} started`);
  const started = Date.now();
  let outcome: Outcome;
  const grace = abandonAfterAbort(controller.signal, abortGraceMs);
  try {
    if (!handler) throw new Error(`no handler for job type ${job.type}`);
    let payload: unknown;
    try {
      payload = JSON.parse(job.payload);
    } catch {
      throw badRequest(`job ${job.id} has a payload that is not JSON`);
    }
    const run = handler({ ...job, payload }, ctx).then(
      (value): Outcome => ({ ok: true, value }),
      (error): Outcome => ({ ok: false, error }),
    );
    outcome = await Promise.race([run, grace.promise]);
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    finished = true;
    grace.clear();
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', stop);
  }
  await chain;
  // The handler's last progress report may still be waiting for its throttle window.
  const last = pending as { progress: unknown } | null;
  if (last) await heartbeat(database, job.id, workerId, leaseMs, last.progress).catch(() => {});
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const reason = controller.signal.aborted ? controller.signal.reason : null;

  if (outcome.ok) {
    // Even after a lost heartbeat, try: complete() succeeds only if the lease is still ours.
    const done = await complete(database, job.id, workerId, outcome.value);
    if (done) {
      summary.succeeded++;
      log(`${tag} succeeded in ${seconds} s`);
    } else {
      summary.lost++;
      log(`${tag} finished in ${seconds} s but its lease was lost; result discarded`);
    }
    return;
  }
  if ('abandoned' in outcome) log(`${tag} did not stop within ${abortGraceMs} ms of ${reason?.name}; leaving it behind`);

  if (isHandOver(reason)) {
    // Not the job's fault: hand it back (a no-op if the lease is already gone).
    const back = await release(database, job.id, workerId);
    if (back) {
      if (back.status === 'cancelled') summary.cancelled++;
      else summary.released++;
      log(`${tag} ${back.status === 'cancelled' ? 'cancelled' : 'returned to the queue'} (${reason.message})`);
    } else {
      summary.lost++;
      log(`${tag} stopped: ${reason.message}`);
    }
    return;
  }

  const error = 'error' in outcome ? outcome.error : reason;
  const permanent = isPermanentError(error);
  const after = await fail(database, job.id, workerId, reason instanceof JobCancelledError ? reason : error, {
    permanent,
    retryDelayMs: retryDelayMs(job.attempts, opts.retryBaseMs),
  });
  if (!after) {
    summary.lost++;
    log(`${tag} failed but its lease was lost: ${(error as Error)?.message ?? error}`);
  } else if (after.status === 'cancelled') {
    summary.cancelled++;
    log(`${tag} cancelled after ${seconds} s`);
  } else if (after.status === 'queued') {
    summary.retried++;
    log(`${tag} failed, will retry after ${after.runAfter.toISOString()}: ${after.error}`);
  } else {
    summary.failed++;
    log(`${tag} failed${permanent ? ' (not retryable)' : ''}: ${after.error}`);
    if (error instanceof Error && error.stack && !permanent) log(error.stack);
  }
}

/** Resolves `abandoned` once `signal` has been aborted for `graceMs`; never otherwise. */
function abandonAfterAbort(signal: AbortSignal, graceMs: number): { promise: Promise<Outcome>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  let arm = () => {};
  const promise = new Promise<Outcome>((resolve) => {
    arm = () => {
      timer = setTimeout(() => resolve({ ok: false, abandoned: true }), graceMs);
    };
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  });
  return {
    promise,
    clear() {
      clearTimeout(timer);
      signal.removeEventListener('abort', arm);
    },
  };
}

/** Sleeps, waking early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
