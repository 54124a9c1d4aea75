import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerNice } from './priority.ts';

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
