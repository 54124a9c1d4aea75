import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    expect(parseStat('4242 (node (tsx) x) S 4200 4242 4242 0 -1 4194560 1 2 3')).toEqual({ pid: 4242, comm: 'node (tsx) x', ppid: 4200, tty: 0 });
    expect(parseStat('77 (bash) S 1 77 77 34816 77 0')).toEqual({ pid: 77, comm: 'bash', ppid: 1, tty: 34816 });
    expect(parseAutogroup('/autogroup-85 nice 0\n')).toEqual({ id: 85, nice: 0 });
    expect(parseAutogroup('/autogroup-3 nice -5')).toEqual({ id: 3, nice: -5 });
    expect(parseAutogroup('')).toBeNull();
  });

  const p = (pid: number, ppid: number, autogroup: number | null, tty = 0, comm = 'node'): ProcInfo => ({ pid, ppid, comm, autogroup, tty });
  it('owns its autogroup only without a terminal and with nobody but its ancestors and descendants in it', () => {
    const launcher = p(10, 1, 5); // tsx's launcher: the session leader of a detached spawn
    const self = p(11, 10, 5);
    const child = p(12, 11, 5);
    const grandchild = p(13, 12, 5);
    const elsewhere = p(20, 1, 6);
    const esbuild = p(16, 10, 5, 0, 'esbuild'); // tsx's transpiler, started by the launcher
    expect(ownsAutogroup(self, [p(1, 0, 1), launcher, esbuild, self, child, grandchild, elsewhere])).toBe(true);
    // A console or any unrelated process in the same session: renicing the group would slow it too.
    expect(ownsAutogroup(self, [launcher, self, p(14, 10, 5)])).toBe(false);
    expect(ownsAutogroup(self, [launcher, self, p(15, 1, 5)])).toBe(false);
    expect(ownsAutogroup(self, [launcher, self, p(17, 1, 5, 0, 'esbuild')])).toBe(false);
    // An interactive terminal: the user's later commands would inherit the lowered group.
    expect(ownsAutogroup({ ...self, tty: 34816 }, [launcher, { ...self, tty: 34816 }])).toBe(false);
    expect(ownsAutogroup({ ...self, autogroup: null }, [launcher, self])).toBe(false);
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
  const probe = `import { readFileSync } from 'node:fs'; import { lowerAutogroupPriority } from './lib/jobs/priority.ts'; console.log(JSON.stringify({ got: lowerAutogroupPriority(7), now: readFileSync('/proc/self/autogroup', 'utf8').trim() }));`;

  it.runIf(autogroups)('a worker in its own session lowers its autogroup, so the nice value counts against other sessions', () => {
    const out = JSON.parse(run(`exec ${tsx} --input-type=module -e "${probe}" < /dev/null`));
    expect(out.got).toBe(7);
    expect(out.now).toMatch(/nice 7$/);
  });

  it.runIf(autogroups)('a worker sharing its session with an unrelated process leaves the group alone', () => {
    // The subshell's sleep is orphaned: same session and autogroup, neither ancestor nor descendant.
    const out = JSON.parse(run(`(sleep 20 >/dev/null 2>&1 &); exec ${tsx} --input-type=module -e "${probe}" < /dev/null`));
    expect(out.got).toBeNull();
    expect(out.now).toMatch(/nice 0$/);
  });
});
