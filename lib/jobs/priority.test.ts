import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownsAutogroup, parseAutogroup, parseStat, workerNice, type ProcInfo } from './priority.ts';

const root = resolve(import.meta.dirname, '../..');

describe('lowerPriority', () => {
  it('renices every thread of the process, and threads started afterwards inherit it', () => {
    // In a child process: a priority once lowered cannot be raised again without privileges.
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      import { lowerPriority } from './lib/jobs/priority.ts';
      const nices = () => readdirSync('/proc/self/task').map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
      const before = nices();
      const now = lowerPriority(7);
      const w = new Worker('setTimeout(() => {}, 200)', { eval: true });
      await new Promise((r) => w.on('online', r));
      console.log(JSON.stringify({ before, now, after: nices() }));
      await w.terminate();
    `;
    const out = JSON.parse(execFileSync(resolve(root, 'node_modules/.bin/tsx'), ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(out.before.every((n: number) => n < 7)).toBe(true); // the test runs at a normal priority
    expect(out.now).toBe(7);
    expect(out.after.length).toBeGreaterThan(out.before.length);
    expect(out.after.every((n: number) => n === 7)).toBe(true);
  });

  it('reads WORKER_NICE: 10 by default, 0 to keep the priority, errors otherwise', () => {
    expect(workerNice({})).toBe(10);
    expect(workerNice({ WORKER_NICE: '0' })).toBe(0);
    expect(() => workerNice({ WORKER_NICE: '-5' })).toThrow(/WORKER_NICE/);
    expect(() => workerNice({ WORKER_NICE: 'low' })).toThrow(/WORKER_NICE/);
  });
});

describe('autogroup priority', () => {
  it('parses /proc stat and autogroup lines, command names with spaces and parentheses included', () => {
    expect(parseStat('4242 (node (tsx) x) S 4200 4242 4242 0 -1 4194560 1 2 3')).toEqual({ pid: 4242, comm: 'node (tsx) x', ppid: 4200, session: 4242, tty: 0 });
    expect(parseStat('77 (bash) S 1 77 77 34816 77 0')).toEqual({ pid: 77, comm: 'bash', ppid: 1, session: 77, tty: 34816 });
    expect(parseAutogroup('/autogroup-85 nice 0\n')).toEqual({ id: 85, nice: 0 });
    expect(parseAutogroup('/autogroup-3 nice -5')).toEqual({ id: 3, nice: -5 });
    expect(parseAutogroup('')).toBeNull();
  });

  const p = (pid: number, ppid: number, session: number, comm = 'node', tty = 0): ProcInfo => ({ pid, ppid, session, comm, tty });
  it('owns its autogroup only when its session was made for it and holds nothing else', () => {
    // A detached spawn of `tsx workers/main.ts`: the launcher (10) leads the session.
    const launcher = p(10, 1, 10);
    const esbuild = p(16, 10, 10, 'esbuild');
    const self = p(11, 10, 10);
    const child = p(12, 11, 10);
    const grandchild = p(13, 12, 10);
    const elsewhere = p(20, 1, 20);
    expect(ownsAutogroup(self, [p(1, 0, 1), launcher, esbuild, self, child, grandchild, elsewhere], true)).toBe(true);
    // The worker leading its own session (node --import tsx, setsid).
    expect(ownsAutogroup(p(30, 1, 30), [p(30, 1, 30), p(31, 30, 30)], false)).toBe(true);
    // The parent leads the session but is not the worker's launcher (a console that spawned it).
    expect(ownsAutogroup(self, [launcher, self], false)).toBe(false);
    // Anything else in the session: the console beside it, an orphan, a stray esbuild.
    expect(ownsAutogroup(self, [launcher, self, p(14, 10, 10)], true)).toBe(false);
    expect(ownsAutogroup(self, [launcher, self, p(15, 1, 10)], true)).toBe(false);
    expect(ownsAutogroup(self, [launcher, self, p(17, 1, 10, 'esbuild')], true)).toBe(false);
    // A session led by someone further up (sh -c '… & exec …', supervisord, pm2): never.
    expect(ownsAutogroup(p(11, 10, 5), [p(5, 1, 5), p(10, 5, 5), p(11, 10, 5)], true)).toBe(false);
    // An interactive terminal; no autogroup support.
    expect(ownsAutogroup({ ...self, tty: 34816 }, [launcher, { ...self, tty: 34816 }], true)).toBe(false);
    expect(ownsAutogroup({ ...self, autogroup: null }, [launcher, self], true)).toBe(false);
  });

  const autogroups = (() => {
    try {
      return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
    } catch {
      return false;
    }
  })();
  const run = (cmd: string) => execFileSync('setsid', ['sh', '-c', cmd], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  const tsx = resolve(root, 'node_modules/.bin/tsx');
  // A script file, as the worker is (its launcher's command line names it).
  const probeDir = mkdtempSync(join(tmpdir(), 'distillery-autogroup-'));
  afterAll(() => rmSync(probeDir, { recursive: true, force: true }));
  const probeFile = join(probeDir, 'probe.mts');
  writeFileSync(probeFile, `import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path'; import { lowerAutogroupPriority } from ${JSON.stringify(resolve(root, 'lib/jobs/priority.ts'))}; console.log(JSON.stringify({ got: lowerAutogroupPriority(7), now: readFileSync('/proc/self/autogroup', 'utf8').trim() }));`);

  it.runIf(autogroups)('a worker in its own session lowers its autogroup, so the nice value counts against other sessions', () => {
    const out = JSON.parse(run(`exec ${tsx} ${probeFile} < /dev/null`));
    expect(out.got).toBe(7);
    expect(out.now).toMatch(/nice 7$/);
  });

  it.runIf(autogroups)('a worker started by another program in that program\'s session leaves the group alone', () => {
    const out = JSON.parse(run(`${tsx} ${probeFile} < /dev/null`));
    expect(out.got).toBeNull();
    expect(out.now).toMatch(/nice 0$/);
  });

  it.runIf(autogroups)('a worker sharing its session with an unrelated process leaves the group alone', () => {
    // The subshell's sleep is orphaned: same session and autogroup, neither ancestor nor descendant.
    const out = JSON.parse(run(`(sleep 20 >/dev/null 2>&1 &); exec ${tsx} ${probeFile} < /dev/null`));
    expect(out.got).toBeNull();
    expect(out.now).toMatch(/nice 0$/);
  });
});
