/**
 * Debian's `fasttext` CLI (0.9.2) driven from the peers benchmark: one item per line,
 * `__label__Y tok tok …`, with the project's tokenizer so that CJK characters are tokens
 * (fastText itself splits on whitespace only).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize } from '../../lib/ml/tokenizer.ts';

export const FASTTEXT = 'fasttext';

/** One line of fastText input: tokens joined by single spaces (no token holds whitespace). */
export function fastTextLine(text: string, label: number | null): string {
  const toks = tokenize(text)
    .map((t) => t.replace(/\s+/g, ''))
    .filter((t) => t.length > 0)
    .join(' ');
  return label === null ? toks : `__label__${label} ${toks}`;
}

export function writeFastTextFile(file: string, texts: readonly string[], labels: ArrayLike<number> | null): void {
  writeFileSync(file, texts.map((t, i) => fastTextLine(t, labels ? labels[i] : null)).join('\n') + '\n');
}

export interface FastTextParams {
  dim: number;
  epoch: number;
  wordNgrams: number;
  thread: number;
  seed?: number;
}

/** Trains `<prefix>.bin`; returns wall seconds. */
export function fastTextTrain(input: string, prefix: string, p: FastTextParams): number {
  const args = ['supervised', '-input', input, '-output', prefix, '-dim', String(p.dim), '-epoch', String(p.epoch), '-wordNgrams', String(p.wordNgrams), '-thread', String(p.thread), '-seed', String(p.seed ?? 0), '-verbose', '0'];
  const t0 = performance.now();
  execFileSync(FASTTEXT, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
}

function runPredict(model: string, file: string): Promise<{ out: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(FASTTEXT, ['predict', model, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`fasttext predict exited with ${code}`));
      else resolve({ out: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const parseLabels = (out: string): Int32Array => Int32Array.from(out.split('\n').filter((l) => l.length > 0), (l) => Number(l.replace('__label__', '')));

/** Predicted labels of an unlabelled fastText file (one per line). */
export async function fastTextPredict(model: string, file: string): Promise<Int32Array> {
  return parseLabels((await runPredict(model, file)).out);
}

/**
 * Inference items/s of `fasttext predict` on `lines` unlabelled lines in `file`: the CLI is
 * single-threaded, so "2 threads" runs two processes side by side, each on half of the lines
 * (`halves`). The time to load the model (measured on an empty file by as many processes at once,
 * best of `repeats`) is subtracted: with word bigrams the model holds 2M hashed buckets (512 MB at
 * dimension 64) and loading dominates a small file; two processes loading at once take longer than one.
 */
export async function fastTextThroughput(model: string, dir: string, texts: readonly string[], threads: 1 | 2, repeats = 3): Promise<number> {
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  let load = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: threads }, () => runPredict(model, empty)));
    load = Math.min(load, (performance.now() - t0) / 1000);
  }
  const parts: string[] = [];
  const per = Math.ceil(texts.length / threads);
  for (let k = 0; k < threads; k++) {
    const f = join(dir, `throughput-${threads}-${k}.txt`);
    writeFastTextFile(f, texts.slice(k * per, (k + 1) * per), null);
    parts.push(f);
  }
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await Promise.all(parts.map((f) => runPredict(model, f)));
    const seconds = (performance.now() - t0) / 1000 - load;
    best = Math.max(best, texts.length / Math.max(seconds, 1e-6));
  }
  return best;
}
