/**
 * Data-parallel training of the one-layer BiLSTM on several threads, deterministic for a seed and
 * a thread count.
 *
 * Every batch is split into T interleaved shares (row j goes to share j mod T: a batch is sorted by
 * length, so contiguous halves would give one thread the short texts and the other the long ones).
 * The calling thread computes share 0's gradients while worker threads (lib/ml/lstm-shard.ts)
 * compute the others' from the same weights, which they read from shared memory. Each share's
 * loss is divided by the whole batch's weight, so the shares' gradients add up to the batch's
 * gradient; they are added in share order and the calling thread takes the Adam step. The dropout
 * mask is drawn for the whole batch on the calling thread from the run's generator, as on one
 * thread, so a T-thread run differs from a one-thread run only in the order of float additions
 * (each share pads to its own longest text and sums its own positions). Nothing depends on timing.
 */
import { Worker } from 'node:worker_threads';
import type { BiLstmConfig } from './config.ts';
import type { DistillTargets } from './loss.ts';
import type { FusedGradients } from './lstm-fused.ts';
import type { StudentWeights, TensorData } from './model.ts';
import { sharedCopy } from './shared-memory.ts';

/** What every worker thread gets once. */
export interface ShardSetup {
  config: BiLstmConfig;
  vocabSize: number;
  numClasses: number;
  settings: { temperature: number; alpha: number; loss: 'kl' | 'mse' };
  params: Record<string, TensorData>;
  offsets: Int32Array;
  tokens: Int32Array;
  softTargets: Float32Array;
  softMask: Uint8Array | null;
  hardLabels: Int32Array;
  weights: Float32Array;
}

export interface ShardRequest {
  rows: Int32Array;
  dropout: Float32Array | null;
  normaliser: number;
}

/** Moves the weights' parameters into shared memory, in place (the worker threads read them there). */
export function shareWeights(weights: StudentWeights): void {
  for (const t of Object.values(weights.params)) if (!(t.data.buffer instanceof SharedArrayBuffer)) t.data = sharedCopy(t.data);
}

/** Rows of share `s` of `T`: every T-th row of the batch from the s-th on. */
export function shareRows(rows: Int32Array, s: number, T: number): Int32Array {
  const out = new Int32Array(Math.ceil((rows.length - s) / T));
  for (let j = s, k = 0; j < rows.length; j += T, k++) out[k] = rows[j];
  return out;
}

/** The dropout multipliers of a share's rows ([rows, dim] from the batch's [b, dim]). */
export function shareDropout(mask: Float32Array | undefined, dim: number, batchRows: number, s: number, T: number): Float32Array | undefined {
  if (!mask) return undefined;
  const count = Math.ceil((batchRows - s) / T);
  const out = new Float32Array(count * dim);
  for (let k = 0; k < count; k++) out.set(mask.subarray((s + k * T) * dim, (s + k * T + 1) * dim), k * dim);
  return out;
}

/** Worker threads for shares 1 … T−1 of every batch, alive for one training run. */
export class BiLstmThreads {
  private readonly workers: Worker[] = [];
  private readonly pending: Array<{ resolve: (g: FusedGradients) => void; reject: (e: Error) => void } | null> = [];
  private closing = false;

  /** `weights` must already be shared (`shareWeights`): the threads read the same parameters. */
  constructor(
    count: number,
    weights: StudentWeights,
    data: DistillTargets & { offsets: Int32Array; tokens: Int32Array },
    settings: ShardSetup['settings'],
  ) {
    const setup: ShardSetup = {
      config: weights.config as BiLstmConfig,
      vocabSize: weights.vocabSize,
      numClasses: weights.numClasses,
      settings,
      params: weights.params,
      offsets: sharedCopy(data.offsets),
      tokens: sharedCopy(data.tokens),
      softTargets: sharedCopy(data.softTargets),
      softMask: data.softMask ? sharedCopy(data.softMask) : null,
      hardLabels: sharedCopy(data.hardLabels),
      weights: sharedCopy(data.weights),
    };
    const entry = new URL('./lstm-shard-worker.mjs', import.meta.url);
    for (let i = 0; i < count; i++) {
      const worker = new Worker(entry, { workerData: setup });
      this.pending.push(null);
      worker.on('message', (m: { ok: true; result: FusedGradients } | { ok: false; error: string }) => {
        const p = this.pending[i];
        this.pending[i] = null;
        if (!p) return;
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`training thread failed: ${m.error}`));
      });
      const fail = (e: Error) => {
        const p = this.pending[i];
        this.pending[i] = null;
        p?.reject(e);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => (!this.closing ? fail(new Error(`training thread exited with code ${code}`)) : undefined));
      this.workers.push(worker);
    }
  }

  /** Starts share `s` (1-based over the workers) of a batch. */
  start(s: number, request: ShardRequest): Promise<FusedGradients> {
    return new Promise((resolve, reject) => {
      this.pending[s - 1] = { resolve, reject };
      this.workers[s - 1].postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
