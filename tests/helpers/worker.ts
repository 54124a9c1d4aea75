import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** SIGKILL the worker and the node process tsx runs it in. */
  kill(): void;
}

export interface WorkerOptions {
  /** An argv prefix the worker runs under (e.g. another network namespace: tests/helpers/netns.ts). */
  wrap?: string[];
  /** Only `env`, nothing inherited from the test process (a worker on another machine knows nothing of ours). */
  cleanEnv?: boolean;
}

/** A real `npm run worker` process (workers/main.ts) on the given database. */
export function startWorkerProcess(env: Record<string, string>, opts: WorkerOptions = {}): WorkerProcess {
  const argv = [...(opts.wrap ?? []), resolve(root, 'node_modules/.bin/tsx'), resolve(root, 'workers/main.ts')];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: root,
    env: (opts.cleanEnv ? env : { ...process.env, WORKER_POLL_MS: '100', ...env }) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: .bin/tsx runs the script in a child node process, and a crash has to
    // take both down (SIGKILL is not relayed).
    detached: true,
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    lines,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, log: () => string[] = () => [], timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker output:\n${log().join('\n')}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
