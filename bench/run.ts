/**
 * npm run bench -- <name> [<name> …]   (no name: all but `loop`, `load` and `peers`)
 * Each benchmark prints one JSON line and writes bench/results/<name>.json (git-ignored: a run
 * never dirties the tree) with the machine it ran on. The committed reference results the README
 * quotes are bench/reference/<name>.json; copy a run's file there to update them. Speed is
 * measured here, never asserted in tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

type Bench = () => Promise<Record<string, unknown>>;
const BENCHES: Record<string, () => Promise<Bench>> = {
  import: async () => (await import('./import.ts')).benchImport,
  train: async () => (await import('./train.ts')).benchTrain,
  score: async () => (await import('./score.ts')).benchScore,
  queue: async () => (await import('./queue.ts')).benchQueue,
  loop: async () => (await import('./loop.ts')).benchLoop,
  load: async () => (await import('./load.ts')).benchLoad,
  infer: async () => (await import('./infer.ts')).benchInfer,
  peers: async () => (await import('./peers.ts')).benchPeers,
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !BENCHES[n]);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', mem_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
mkdirSync(join('bench', 'results'), { recursive: true });
// `loop` trains 60 rounds, `load` starts a production console and two databases, `peers` trains fastText,
// TF-IDF + LR and two students on two datasets, for many minutes: only when named.
const LONG = new Set(['loop', 'load', 'peers']);
for (const name of names.length ? names : Object.keys(BENCHES).filter((n) => !LONG.has(n))) {
  let load: Bench;
  try {
    load = await BENCHES[name]();
  } catch (e) {
    console.error(`benchmark ${name} is not available: ${(e as Error).message}`);
    process.exitCode = 1;
    continue;
  }
  const result = { bench: name, ...(await load()), machine, at: new Date().toISOString() };
  console.log(JSON.stringify(result));
  writeFileSync(join('bench', 'results', `${name}.json`), JSON.stringify(result, null, 2) + '\n');
}
