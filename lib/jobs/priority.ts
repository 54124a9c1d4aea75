import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers this process's CPU priority to `nice` (0–19): every thread it already has (on Linux a
 * priority belongs to a thread, and Node starts its V8 and libuv threads before any script runs),
 * and, through inheritance, every thread started later (tfjs and onnxruntime workers, the libuv
 * pool). A training worker next to the console on the same cores then takes the CPU the console
 * leaves idle instead of half of it: without it annotators waited seconds for `queue/next` while
 * a round trained (bench `load`). Never raises a priority. Returns the nice value in effect.
 */
export function lowerPriority(nice: number): number {
  const target = Math.max(0, Math.min(19, Math.trunc(nice)));
  let tids: number[] = [];
  try {
    tids = readdirSync('/proc/self/task').map(Number).filter((t) => Number.isInteger(t) && t > 0);
  } catch {
    /* not Linux: the process priority below is all there is */
  }
  for (const tid of tids) {
    try {
      if (getPriority(tid) < target) setPriority(tid, target);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  try {
    if (getPriority() < target) setPriority(target);
  } catch {
    /* not permitted: keep the priority we have */
  }
  return getPriority();
}

/** WORKER_NICE: the standalone worker's nice value (default 10; 0 keeps the normal priority). */
export function workerNice(env: Record<string, string | undefined> = process.env): number {
  const raw = env.WORKER_NICE;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`WORKER_NICE must be an integer from 0 to 19, got "${raw}"`);
  return n;
}
