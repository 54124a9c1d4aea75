/**
 * Data-parallel training of the n-gram student on several cores, deterministic for a seed and a
 * thread count.
 *
 * Each epoch's shuffled order is cut into segments (4 per epoch: merging more often costs time,
 * less often accuracy: COLD validation 0.9019 at 4 and 0.9020 at 16, 0.9003 at 1, against 0.9022
 * on one thread, 3 seeds), each segment into T contiguous shares of batches. The calling thread
 * trains the first share in place; each worker thread (lib/ml/ngram-shard.ts) holds its own copy of
 * the weights, equal to the calling thread's when the segment begins, and trains its share. At the
 * end of the segment the shares merge: the embedding adds every share's change (the rows are
 * sparse: a rare n-gram is seen by one share), the dense parameters (bias, a bag's kernel)
 * average, the AdaGrad sums add what every share accumulated, and the iterate average counts
 * every share's steps:
 *
 *   E₁ = E₀ + Σₜ (Eₜ − E₀)           W₁ = (W_main + Σₜ Wₜ) / T
 *   Σ iterates = (m·W_main − A_main) + Σₜ (kₜ·Wₜ − Aₜ)          (each share's lazy sum, see ngram-student.ts)
 *   A₁ = m₁·W₁ − Σ iterates,   m₁ = m + Σₜ kₜ
 *   G₁ = G_main + Σₜ (Gₜ − G₀)
 *
 * Only the embedding rows some share touched in the segment are merged and copied back (a segment
 * touches a small part of a large vocabulary); the small arrays are merged and copied whole.
 * No thread waits on another within a segment and nothing depends on timing, so a run is
 * reproducible bit for bit; it differs from a one-thread run (the shares start from the same
 * weights instead of from each other's).
 */
import { Worker } from 'node:worker_threads';
import type { NgramStepArrays, NgramStepSetup } from './ngram-student.ts';
import { sharedCopy } from './shared-memory.ts';

/** Batches per part: as equal as possible, the first parts one longer. */
export function shareSteps(steps: number, parts: number): number[] {
  const base = Math.floor(steps / parts);
  const rest = steps - base * parts;
  return Array.from({ length: parts }, (_, t) => base + (t < rest ? 1 : 0));
}

export interface ShareResult {
  steps: number;
  lossSum: number;
  weightSum: number;
}

interface ShareWorker {
  worker: Worker;
  arrays: NgramStepArrays & { touched: Uint8Array };
  /** Progress it last reported in this segment. */
  visits: number;
  lossSum: number;
  weightSum: number;
  pending: { resolve: (r: ShareResult) => void; reject: (e: Error) => void } | null;
  failed: Error | null;
}

/** Worker threads for shares 1 … T−1 of every segment, alive for one training run. */
export class NgramThreads {
  private readonly workers: ShareWorker[] = [];
  /** The embedding as the segment began (E₀), kept equal to it row by row. */
  private readonly e0: Float32Array;
  /** The AdaGrad sums as the segment began (G₀). */
  private readonly g0: { GE: Float32Array; GB: Float32Array; GW: Float32Array | null };
  private readonly batch: number;
  private readonly D: number;
  private readonly rows: number;
  private closing = false;

  /** `main`: the calling thread's arrays; it gets a `touched` row mark that its stepper sets. */
  constructor(
    count: number,
    setup: NgramStepSetup,
    private readonly main: NgramStepArrays,
  ) {
    this.batch = setup.batchSize;
    this.D = main.E.length / setup.idf.length;
    this.rows = setup.idf.length;
    main.touched = new Uint8Array(setup.idf.length);
    const t = setup.targets;
    const shared = {
      model: setup.model,
      numClasses: setup.numClasses,
      lr: setup.lr,
      batchSize: setup.batchSize,
      settings: setup.settings,
      idf: sharedCopy(setup.idf),
      offsets: sharedCopy(setup.offsets),
      tokens: sharedCopy(setup.tokens),
      softTargets: sharedCopy(t.softTargets),
      softMask: t.softMask ? sharedCopy(t.softMask) : null,
      hardLabels: sharedCopy(t.hardLabels),
    };
    this.e0 = main.E.slice();
    this.g0 = { GE: main.GE.slice(), GB: main.GB.slice(), GW: main.GW?.slice() ?? null };
    const entry = new URL('./ngram-shard-worker.mjs', import.meta.url);
    for (let i = 0; i < count; i++) {
      // A share starts equal to the calling thread, with no averaging sums of its own.
      const arrays = {
        E: sharedCopy(main.E),
        bias: sharedCopy(main.bias),
        W: main.W ? sharedCopy(main.W) : null,
        AE: new Float32Array(new SharedArrayBuffer(main.AE.byteLength)),
        AB: new Float32Array(new SharedArrayBuffer(main.AB.byteLength)),
        AW: main.AW ? new Float32Array(new SharedArrayBuffer(main.AW.byteLength)) : null,
        GE: sharedCopy(main.GE),
        GB: sharedCopy(main.GB),
        GW: main.GW ? sharedCopy(main.GW) : null,
        touched: new Uint8Array(new SharedArrayBuffer(setup.idf.length)),
      };
      const worker = new Worker(entry, { workerData: { ...shared, arrays } });
      const w: ShareWorker = { worker, arrays, visits: 0, lossSum: 0, weightSum: 0, pending: null, failed: null };
      worker.on('message', (m: { kind: 'progress' | 'done'; visits: number; steps: number; lossSum: number; weightSum: number }) => {
        w.visits = m.visits;
        w.lossSum = m.lossSum;
        w.weightSum = m.weightSum;
        if (m.kind === 'done' && w.pending) {
          const p = w.pending;
          w.pending = null;
          p.resolve({ steps: m.steps, lossSum: m.lossSum, weightSum: m.weightSum });
        }
      });
      const fail = (e: Error) => {
        w.failed = e;
        if (w.pending) {
          const p = w.pending;
          w.pending = null;
          p.reject(e);
        }
      };
      worker.on('error', fail);
      worker.on('exit', (code) => (code !== 0 && !this.closing ? fail(new Error(`training thread exited with code ${code}`)) : undefined));
      this.workers.push(w);
    }
  }

  /**
   * Starts shares 1 … T−1 of a segment (`order` from `ownVisits` on; the calling thread trains
   * `order[0, ownVisits)` meanwhile); resolves with each share's result.
   */
  startSegment(order: Int32Array, ownVisits: number, averaging: boolean): Promise<ShareResult[]> {
    const per = shareSteps(Math.ceil((order.length - ownVisits) / this.batch), this.workers.length);
    let from = ownVisits;
    const all = Promise.all(
      this.workers.map((w, i) => {
        if (w.failed) return Promise.reject(w.failed);
        const to = Math.min(order.length, from + per[i] * this.batch);
        const rows = order.slice(from, to);
        from = to;
        w.visits = 0;
        w.lossSum = 0;
        w.weightSum = 0;
        return new Promise<ShareResult>((resolve, reject) => {
          w.pending = { resolve, reject };
          w.worker.postMessage({ rows, averaging }, [rows.buffer]);
        });
      }),
    );
    // The calling thread awaits it after its own share; if that share throws (aborted), nobody does.
    all.catch(() => undefined);
    return all;
  }

  /** Examples the worker threads have done so far in this segment (for progress). */
  visitsDone(): number {
    return this.workers.reduce((a, w) => a + w.visits, 0);
  }
  lossSum(): number {
    return this.workers.reduce((a, w) => a + w.lossSum, 0);
  }
  weightSum(): number {
    return this.workers.reduce((a, w) => a + w.weightSum, 0);
  }

  /**
   * Ends a segment (formulas above): the merged weights, averaging sums and AdaGrad sums go into
   * the calling thread's arrays and every share is made equal to them again. `mainAveraged` is m
   * after the calling thread's share; `ks` the averaged steps of each worker's share. Returns Σ kₜ.
   */
  merge(mainAveraged: number, ks: number[]): number {
    const main = this.main;
    const shares = this.workers.map((w) => w.arrays);
    const all: NgramStepArrays[] = [main, ...shares];
    const T = all.length;
    const kAll = [mainAveraged, ...ks];
    const m1 = kAll.reduce((a, b) => a + b, 0);
    // Dense parameters (bias, the bag's kernel): every share moved them; their average.
    const mix = (pick: (x: NgramStepArrays) => [Float32Array, Float32Array]) => {
      const parts = all.map(pick);
      const [W, A] = parts[0];
      for (let i = 0; i < W.length; i++) {
        let wSum = 0;
        let iterates = 0;
        for (let t = 0; t < T; t++) {
          const [Wt, At] = parts[t];
          wSum += Wt[i];
          iterates += kAll[t] * Wt[i] - At[i];
        }
        const w1 = wSum / T;
        W[i] = w1;
        A[i] = m1 * w1 - iterates;
      }
    };
    mix((x) => [x.bias, x.AB]);
    if (main.W && main.AW) mix((x) => [x.W!, x.AW!]);
    // Embedding rows some share touched: the shares' changes add up (a row nobody touched has
    // the same value everywhere, and its averaging sum stays as it is). Averaging them instead
    // would halve a rare n-gram's update: COLD validation 0.896 on 2 threads averaged, against
    // 0.902 added and 0.902 on one thread.
    const D = this.D;
    const e0 = this.e0;
    const touched = all.map((x) => x.touched!);
    for (let row = 0; row < this.rows; row++) {
      let hit = false;
      for (let t = 0; t < T; t++) if (touched[t][row]) hit = true;
      if (!hit) continue;
      for (let q = row * D, end = q + D; q < end; q++) {
        const w0 = e0[q];
        let delta = 0;
        let iterates = 0;
        for (let t = 0; t < T; t++) {
          const Et = all[t].E[q];
          delta += Et - w0;
          iterates += kAll[t] * Et - all[t].AE[q];
        }
        const w1 = w0 + delta;
        main.E[q] = w1;
        main.AE[q] = m1 * w1 - iterates;
        e0[q] = w1;
        for (const s of shares) {
          s.E[q] = w1;
          s.AE[q] = 0;
        }
      }
      for (let t = 0; t < T; t++) touched[t][row] = 0;
    }
    // AdaGrad sums: what every share added; then every share starts the next segment from them.
    const add = (G: Float32Array, G0: Float32Array, pick: (x: NgramStepArrays) => Float32Array) => {
      const parts = shares.map(pick);
      for (let i = 0; i < G.length; i++) {
        let g = G[i];
        for (const Gt of parts) g += Gt[i] - G0[i];
        G[i] = g;
      }
      G0.set(G);
      for (const Gt of parts) Gt.set(G);
    };
    add(main.GE, this.g0.GE, (x) => x.GE);
    add(main.GB, this.g0.GB, (x) => x.GB);
    if (main.GW && this.g0.GW) add(main.GW, this.g0.GW, (x) => x.GW!);
    for (const s of shares) {
      s.bias.set(main.bias);
      s.AB.fill(0);
      if (s.W && main.W) s.W.set(main.W);
      s.AW?.fill(0);
    }
    return m1 - mainAveraged;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) w.pending?.reject(new Error('training threads closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.main.touched = null;
  }
}
