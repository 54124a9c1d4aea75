import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** What /proc/<pid>/stat says of one process. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Command name (/proc/<pid>/comm). */
  comm: string;
  /** Session id (an autogroup is made per session, by setsid). */
  session: number;
  /** Controlling terminal (0: none). */
  tty: number;
  /** The autogroup's id, or null where the kernel has none: read for this process only (membership is the session). */
  autogroup?: number | null;
}

/** Parses a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function parseStat(stat: string): ProcInfo {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' '); // state ppid pgrp session tty_nr …
  return { pid: Number(stat.slice(0, open - 1)), comm: stat.slice(open + 1, close), ppid: Number(rest[1]), session: Number(rest[3]), tty: Number(rest[4]) };
}

/** Parses /proc/<pid>/autogroup ("/autogroup-85 nice 0"). */
export function parseAutogroup(text: string): { id: number; nice: number } | null {
  const m = /^\/autogroup-(\d+)\s+nice\s+(-?\d+)/.exec(text);
  return m ? { id: Number(m[1]), nice: Number(m[2]) } : null;
}

/**
 * Whether `self` may renice its whole autogroup (one per session, made by setsid: membership is
 * the session id), i.e. the group is private to it by construction:
 * it has no controlling terminal; its session was made for it (it is the session leader, or its
 * parent is, and that parent is its own launcher: tsx running the same script); and every other
 * visible process of the session is that launcher's esbuild service (it transpiles at startup,
 * then waits) or one of self's descendants. A console or anything else in the session, a parent
 * that is not the launcher, or a process of the session that cannot be read: left alone.
 *
 * Why it matters: with autogroups (Linux's default for desktops and many servers,
 * /proc/sys/kernel/sched_autogroup_enabled = 1) the scheduler first shares the CPU equally between
 * sessions, and a thread's nice value counts only inside its own session. A worker started in its
 * own session (systemd, `setsid`, a detached spawn) then took a full half of two cores at nice 10,
 * and the console and PostgreSQL's backends, other sessions, shared the rest (bench `load`).
 */
export function ownsAutogroup(self: ProcInfo, procs: ProcInfo[], parentIsLauncher: boolean): boolean {
  if (self.autogroup === null || self.tty !== 0) return false;
  const leaderIsParent = self.session === self.ppid && parentIsLauncher;
  if (self.session !== self.pid && !leaderIsParent) return false;
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const isDescendant = (p: ProcInfo) => {
    const seen = new Set<number>();
    for (let q: ProcInfo | undefined = p; q && !seen.has(q.pid); q = byPid.get(q.ppid)) {
      if (q.ppid === self.pid) return true;
      seen.add(q.pid);
    }
    return false;
  };
  return procs.every(
    (p) =>
      p.session !== self.session ||
      p.pid === self.pid ||
      (leaderIsParent && p.pid === self.ppid) ||
      (leaderIsParent && p.ppid === self.ppid && p.comm === 'esbuild') ||
      isDescendant(p),
  );
}

/** A process's /proc facts; null when it ended meanwhile. Throws when it exists but cannot be read. */
function readProc(pid: string): ProcInfo | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw e;
  }
}

/** Whether process `ppid` is this process's launcher: tsx (or node) running the same script. */
function isOwnLauncher(ppid: number): boolean {
  try {
    const args = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
    const script = process.argv[1];
    return !!script && args.some((a) => a === script || (a.length > 3 && script.endsWith('/' + a.replace(/^\.\//, ''))));
  } catch {
    return false;
  }
}

/**
 * Lowers the nice value of this process's autogroup to `nice` when it owns it (ownsAutogroup).
 * Returns the autogroup's nice value afterwards, or null when it was left alone (no autogroups,
 * a shared group, not Linux, not permitted). Never raises a priority.
 */
export function lowerAutogroupPriority(nice: number): number | null {
  const target = Math.max(0, Math.min(19, Math.trunc(nice)));
  let current: { id: number; nice: number } | null;
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return null;
    current = parseAutogroup(readFileSync('/proc/self/autogroup', 'utf8'));
  } catch {
    return null;
  }
  if (!current) return null;
  let self: ProcInfo | null;
  let procs: ProcInfo[];
  try {
    self = readProc(String(process.pid));
    if (self) self.autogroup = current.id;
    procs = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(readProc)
      .filter((p): p is ProcInfo => p !== null);
  } catch {
    return null; // a process that cannot be read may share the session
  }
  if (!self || !ownsAutogroup(self, procs, isOwnLauncher(self.ppid))) return null;
  if (current.nice >= target) return current.nice;
  try {
    writeFileSync('/proc/self/autogroup', String(target));
  } catch {
    return null;
  }
  return parseAutogroup(readFileSync('/proc/self/autogroup', 'utf8'))?.nice ?? null;
}

/** WORKER_NICE: the standalone worker's nice value (default 10; 0 keeps the normal priority). */
export function workerNice(env: Record<string, string | undefined> = process.env): number {
  const raw = env.WORKER_NICE;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`WORKER_NICE must be an integer from 0 to 19, got "${raw}"`);
  return n;
}
