/**
 * The optimiser: Adam on the dense parameters and a lazy (sparse) Adam on the embedding, which
 * touches only the rows a batch used — a dense Adam over a 10k–50k-row table every step would
 * cost more than the network itself.
 */
import type { TrainConfig } from './config.ts';
import type { StudentWeights, Batch, TensorData } from './model.ts';
import { PAD_ID } from './tokenizer.ts';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** What Adam updates and keeps between steps. */
export interface AdamState {
  weights: StudentWeights;
  adamM: Record<string, Float32Array>;
  adamV: Record<string, Float32Array>;
  /** Adam steps taken (its bias correction needs it). */
  step: number;
}

/** Zero moments shaped like the parameters. */
export function zerosLike(params: Record<string, TensorData>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float32Array(v.data.length)]));
}

/** Embedding-row gradients of one batch, accumulated sparsely (only rows the batch used). */
export class SparseRows {
  private readonly slot: Int32Array;
  rows: Int32Array;
  grads: Float32Array;
  count = 0;

  constructor(
    vocabSize: number,
    readonly dim: number,
  ) {
    this.slot = new Int32Array(vocabSize).fill(-1);
    this.rows = new Int32Array(1024);
    this.grads = new Float32Array(1024 * dim);
  }

  /** dX laid out as the lookup made it: [b, L, E], or [L, b, E] when `timeMajor`. */
  accumulate(batch: Batch, dX: Float32Array, reversed: boolean, timeMajor: boolean): void {
    const { size: b, len: L, ids, lengths } = batch;
    const E = this.dim;
    for (let i = 0; i < b; i++) {
      const n = lengths[i];
      for (let t = 0; t < n; t++) {
        const id = ids[i * L + (reversed ? n - 1 - t : t)];
        if (id === PAD_ID) continue;
        const src = (timeMajor ? t * b + i : i * L + t) * E;
        const dst = this.slotOf(id) * E;
        for (let e = 0; e < E; e++) this.grads[dst + e] += dX[src + e];
      }
    }
  }

  /** Gradients of distinct embedding rows (grads [n, E], row r for id ids[r]); PAD is skipped. */
  addRows(ids: Int32Array, grads: Float32Array): void {
    const E = this.dim;
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r];
      if (id === PAD_ID) continue;
      const src = r * E;
      const dst = this.slotOf(id) * E;
      for (let e = 0; e < E; e++) this.grads[dst + e] += grads[src + e];
    }
  }

  reset(): void {
    for (let s = 0; s < this.count; s++) this.slot[this.rows[s]] = -1;
    this.count = 0;
  }

  /** The slot of embedding row `id` in this batch's gradients, taken (zeroed) on first use. */
  private slotOf(id: number): number {
    let s = this.slot[id];
    if (s < 0) {
      s = this.count++;
      if (s >= this.rows.length) this.grow();
      this.slot[id] = s;
      this.rows[s] = id;
      this.grads.fill(0, s * this.dim, (s + 1) * this.dim);
    }
    return s;
  }

  private grow(): void {
    const rows = new Int32Array(this.rows.length * 2);
    rows.set(this.rows);
    const grads = new Float32Array(this.grads.length * 2);
    grads.set(this.grads);
    this.rows = rows;
    this.grads = grads;
  }
}

/** Adam on the dense parameters, lazy Adam on the embedding rows of the batch, after global-norm clipping. */
export function applyAdam(state: AdamState, names: string[], dense: Float32Array[], sparse: SparseRows, train: Pick<TrainConfig, 'learningRate' | 'clipNorm'>): void {
  const t = state.step;
  const lr = train.learningRate;
  const c1 = 1 - Math.pow(BETA1, t);
  const c2 = 1 - Math.pow(BETA2, t);
  let scale = 1;
  if (train.clipNorm > 0) {
    let sq = 0;
    for (const g of dense) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    const sg = sparse.grads;
    for (let i = 0; i < sparse.count * sparse.dim; i++) sq += sg[i] * sg[i];
    const norm = Math.sqrt(sq);
    if (norm > train.clipNorm) scale = train.clipNorm / norm;
  }
  const update = (p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, pOff: number, gOff: number, len: number) => {
    for (let i = 0; i < len; i++) {
      const gi = g[gOff + i] * scale;
      const j = pOff + i;
      const mi = (m[j] = BETA1 * m[j] + (1 - BETA1) * gi);
      const vi = (v[j] = BETA2 * v[j] + (1 - BETA2) * gi * gi);
      p[j] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + EPS);
    }
  };
  names.forEach((nm, k) => {
    const p = state.weights.params[nm].data;
    update(p, state.adamM[nm], state.adamV[nm], dense[k], 0, 0, p.length);
  });
  const E = state.weights.config.embeddingDim;
  const table = state.weights.params.embedding.data;
  for (let s = 0; s < sparse.count; s++) {
    update(table, state.adamM.embedding, state.adamV.embedding, sparse.grads, sparse.rows[s] * E, s * E, E);
  }
}
