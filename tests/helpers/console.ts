/**
 * The console's production server for integration tests and benchmarks, on loopback: as `npm start`
 * runs it (`server.ts`: Next's build plus the predict API's fast path) or as plain `next start`
 * (`entry: 'next'`). Needs a current production build in .next. It runs in its own process group
 * (`next start` runs next-server as a child), so `stopConsole` ends it and its children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export interface ConsoleServer {
  child: ChildProcess;
  url: string;
  /** What it printed, when started with `capture`. */
  output(): string;
}

export function startConsole(opts: { port: number; env: Record<string, string>; entry?: 'server' | 'next'; nodeArgs?: string[]; capture?: boolean }): ConsoleServer {
  const entry = opts.entry === 'next' ? ['node_modules/next/dist/bin/next', 'start'] : ['--import', 'tsx', 'server.ts'];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, '-p', String(opts.port), '-H', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...opts.env },
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  return { child, url: `http://127.0.0.1:${opts.port}`, output: () => log };
}

/** Resolves once `GET /login` answers 200; throws if the server exits first or `timeoutMs` passes. */
export async function consoleReady(server: ConsoleServer, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode != null) throw new Error(`the console exited with ${server.child.exitCode}: ${server.output()}`);
    if (await fetch(`${server.url}/login`).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`the console did not answer within ${timeoutMs / 1000} s: ${server.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGKILL to its process group (the server and its children). */
export function killConsole(server: ConsoleServer | ChildProcess | null | undefined): void {
  const child = server && 'child' in server ? server.child : server;
  try {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  } catch {}
}

/** SIGTERM (the server closes and, with --cpu-prof, writes its profile), then SIGKILL after `graceMs`. */
export async function stopConsole(server: ConsoleServer, graceMs = 500): Promise<void> {
  const { child } = server;
  if (child.exitCode != null || !child.pid) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  killConsole(server);
}
