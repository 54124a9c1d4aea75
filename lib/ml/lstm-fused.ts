/**
 * The one-layer BiLSTM student's forward and backward pass without tfjs: hand-written kernels in
 * wasm SIMD (lib/ml/wasm/lstm.ts, AssemblyScript compiled by scripts/build-wasm.mjs) driven from
 * here. Same model, same parameters and layout as the tfjs forward in model.ts (which stays for
 * stacked BiLSTMs and as the reference the tests compare with).
 *
 * Per batch (b texts padded to the longest, L steps, U distinct token ids):
 *   - input projections per distinct token, not per position: P = E_U · [W_fwd | W_bwd]  ([U, 8H]),
 *     then each direction's step rows are gathered from P (+ bias). COLD batches of 64 have
 *     ≈ 3,000 positions but ≈ 710 distinct characters, so this is 4× less arithmetic for the input
 *     side, forward and backward (dW = E_Uᵀ·dP and dE_U = dP·Wᵀ with dP the per-token sums);
 *   - the recurrence one direction at a time: per step one [b, H]·[H, 4H] GEMM and one pass over
 *     the gates (wasm), and backward through time the same way with Rᵀ;
 *   - dR = Σ_t h_{t−1}ᵀ dz_t as one GEMM over all steps; pooling ([max, mean] over each text's own
 *     steps) in wasm too; dropout and the dense layer in JavaScript (they are small).
 * Nothing here depends on timing or threads: the same batch gives bit-identical results.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BiLstmConfig } from './config.ts';
import { distillationLoss, type DistillTargets } from './loss.ts';
import type { Batch, StudentWeights } from './model.ts';

interface LstmExports {
  memory: WebAssembly.Memory;
  gemm(out: number, outStride: number, accumulate: number, inp: number, inStride: number, w: number, wStride: number, K: number, N: number, rows: number): void;
  lstmForward(L: number, b: number, H: number, g: number, r: number, c: number, tc: number, h: number, hStride: number): void;
  lstmBackward(L: number, b: number, H: number, g: number, c: number, tc: number, rt: number, dy: number, dyStride: number, dh: number, dc: number): void;
  gatherRows(dst: number, dstStride: number, src: number, srcStride: number, idx: number, n: number, width: number, bias: number): void;
  scatterAddRows(dst: number, dstStride: number, src: number, srcStride: number, idx: number, n: number, width: number): void;
  transpose(dst: number, src: number, srcStride: number, rows: number, cols: number): void;
  sumRows(dst: number, src: number, srcStride: number, rows: number, width: number): void;
  poolForward(h: number, hStride: number, b: number, W: number, lengths: number, feat: number, argmax: number): void;
  poolBackward(dy: number, dyStride: number, L: number, b: number, W: number, lengths: number, dFeat: number, argmax: number): void;
  sigmoidInPlace(p: number, n: number): void;
  tanhInPlace(p: number, n: number): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const WASM = join(here, 'wasm', 'lstm.wasm');
const SOURCE = join(here, 'wasm', 'lstm.ts');

let kernel: LstmExports | null = null;
let unavailable: Error | null = null;

/**
 * Whether the kernels load here (their .wasm is built on install from npm's assemblyscript, a
 * development dependency). Without them the BiLSTM trains and scores on tfjs ops, as before they existed.
 */
export function fusedKernelsAvailable(): boolean {
  if (kernel) return true;
  if (unavailable) return false;
  try {
    lstmKernel();
    return true;
  } catch (e) {
    unavailable = e as Error;
    console.warn(`fused BiLSTM kernels unavailable, using tfjs ops: ${unavailable.message}`);
    return false;
  }
}

/** The kernels' module (built on first use when the install step did not build it). */
export function lstmKernel(): LstmExports {
  if (kernel) return kernel;
  if (!existsSync(WASM) || (existsSync(SOURCE) && statSync(SOURCE).mtimeMs > statSync(WASM).mtimeMs)) {
    execFileSync(process.execPath, [join(here, '..', '..', 'scripts', 'build-wasm.mjs')], { stdio: 'inherit' });
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(WASM)), { env: { abort: () => { throw new Error('lstm kernel aborted'); } } });
  kernel = { ...instance.exports } as unknown as LstmExports;
  return kernel;
}

/** Bump allocation in the kernel's memory for one batch: byte offsets, 16-byte aligned. */
class Arena {
  private top = 65536; // the module's own data lives below
  private readonly sizes: number[] = [];
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((floats * 4) / 16) * 16;
    this.sizes.push(floats);
    return at;
  }
  /** Grows the memory to hold everything allocated; views must be taken after this. */
  commit(k: LstmExports): void {
    const need = this.top - k.memory.buffer.byteLength;
    if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  }
}

const f32 = (k: LstmExports, at: number, n: number) => new Float32Array(k.memory.buffer, at, n);
const i32 = (k: LstmExports, at: number, n: number) => new Int32Array(k.memory.buffer, at, n);

/** Distinct token ids of a batch and, per direction and time-major step (t·b + i), the row of each. */
interface TokenIndex {
  ids: Int32Array; // [U]
  /** Row in [0, U) per step, padding steps point at row 0 (their values are masked out). */
  fwd: Int32Array;
  bwd: Int32Array;
  /** The same, −1 on padding steps (whose gradients are zero and are skipped). */
  fwdScatter: Int32Array;
  bwdScatter: Int32Array;
}

let slotScratch: Int32Array = new Int32Array(0);

function tokenIndex(batch: Batch, vocabSize: number): TokenIndex {
  const { size: b, len: L, ids, lengths } = batch;
  if (slotScratch.length < vocabSize) slotScratch = new Int32Array(vocabSize).fill(-1);
  const slot = slotScratch;
  const distinct: number[] = [];
  const fwd = new Int32Array(L * b);
  const bwd = new Int32Array(L * b);
  const fwdScatter = new Int32Array(L * b).fill(-1);
  const bwdScatter = new Int32Array(L * b).fill(-1);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    for (let t = 0; t < n; t++) {
      const id = ids[i * L + t];
      let s = slot[id];
      if (s < 0) {
        s = slot[id] = distinct.length;
        distinct.push(id);
      }
      fwd[t * b + i] = fwdScatter[t * b + i] = s;
      bwd[(n - 1 - t) * b + i] = bwdScatter[(n - 1 - t) * b + i] = s;
    }
  }
  for (const id of distinct) slot[id] = -1;
  return { ids: Int32Array.from(distinct), fwd, bwd, fwdScatter, bwdScatter };
}

/** Everything the backward pass needs from the forward pass, in the kernel's memory. */
interface ForwardState {
  k: LstmExports;
  config: BiLstmConfig;
  batch: Batch;
  index: TokenIndex;
  U: number;
  /** Pointers. */
  p: Record<'w' | 'wT' | 'r' | 'rT' | 'bias' | 'eu' | 'euT' | 'pu' | 'g' | 'c' | 'tc' | 'h' | 'hT' | 'dy' | 'dh' | 'dc' | 'dr' | 'dpu' | 'dw' | 'db' | 'deu' | 'idxF' | 'idxB' | 'scF' | 'scB' | 'lengths' | 'feat' | 'dfeat' | 'argmax', number>;
  /** [b, 4H] pooled features (before dropout); the step each max came from stays in the kernel's memory. */
  features: Float32Array;
}

/** Forward pass of the one-layer BiLSTM up to the pooled features [b, 4H]. */
function forwardFeatures(weights: StudentWeights, batch: Batch, withBackward: boolean): ForwardState {
  const config = weights.config as BiLstmConfig;
  if (config.arch !== 'bilstm' || config.layers !== 1) throw new Error('the fused BiLSTM is one layer');
  const k = lstmKernel();
  const E = config.embeddingDim;
  const H = config.hiddenSize;
  const G = 4 * H;
  const { size: b, len: L, lengths } = batch;
  const index = tokenIndex(batch, weights.vocabSize);
  const U = index.ids.length;
  const LB = L * b;
  const a = new Arena();
  const p = {
    w: a.alloc(E * 2 * G),
    wT: a.alloc(E * 2 * G),
    r: a.alloc(2 * H * G),
    rT: a.alloc(2 * H * G),
    bias: a.alloc(2 * G),
    eu: a.alloc(U * E),
    euT: a.alloc(U * E),
    pu: a.alloc(U * 2 * G),
    g: a.alloc(2 * LB * G),
    c: a.alloc(2 * LB * H),
    tc: a.alloc(2 * LB * H),
    h: a.alloc(LB * 2 * H),
    hT: a.alloc(2 * H * Math.max(L - 1, 1) * b),
    dy: a.alloc(LB * 2 * H),
    dh: a.alloc(b * H),
    dc: a.alloc(b * H),
    dr: a.alloc(2 * H * G),
    dpu: a.alloc(U * 2 * G),
    dw: a.alloc(E * 2 * G),
    db: a.alloc(2 * G),
    deu: a.alloc(U * E),
    idxF: a.alloc(LB),
    idxB: a.alloc(LB),
    scF: a.alloc(LB),
    scB: a.alloc(LB),
    lengths: a.alloc(b),
    feat: a.alloc(b * 4 * H),
    dfeat: a.alloc(b * 4 * H),
    argmax: a.alloc(b * 2 * H),
  };
  a.commit(k);
  const params = weights.params;
  // W [2, E, 4H] → [E, 8H] (both directions side by side), R and bias as stored.
  const Wsrc = params['lstm0.W'].data;
  const w = f32(k, p.w, E * 2 * G);
  for (let d = 0; d < 2; d++) for (let e = 0; e < E; e++) w.set(Wsrc.subarray((d * E + e) * G, (d * E + e + 1) * G), e * 2 * G + d * G);
  f32(k, p.r, 2 * H * G).set(params['lstm0.R'].data);
  f32(k, p.bias, 2 * G).set(params['lstm0.b'].data);
  const table = params.embedding.data;
  const eu = f32(k, p.eu, U * E);
  for (let u = 0; u < U; u++) eu.set(table.subarray(index.ids[u] * E, index.ids[u] * E + E), u * E);
  i32(k, p.idxF, LB).set(index.fwd);
  i32(k, p.idxB, LB).set(index.bwd);

  // Input projections of the distinct tokens, then each direction's steps gathered (+ bias).
  k.gemm(p.pu, 2 * G, 0, p.eu, E, p.w, 2 * G, E, 2 * G, U);
  for (let d = 0; d < 2; d++) {
    k.gatherRows(p.g + d * LB * G * 4, G, p.pu + d * G * 4, 2 * G, d === 0 ? p.idxF : p.idxB, LB, G, p.bias + d * G * 4);
    k.lstmForward(L, b, H, p.g + d * LB * G * 4, p.r + d * H * G * 4, p.c + d * LB * H * 4, p.tc + d * LB * H * 4, p.h + d * H * 4, 2 * H);
  }

  // [max, mean] over each text's own steps: features max fwd | max bwd | mean fwd | mean bwd.
  i32(k, p.lengths, b).set(lengths);
  k.poolForward(p.h, 2 * H, b, 2 * H, p.lengths, p.feat, p.argmax);
  const features = f32(k, p.feat, b * 4 * H).slice();
  if (withBackward) {
    i32(k, p.scF, LB).set(index.fwdScatter);
    i32(k, p.scB, LB).set(index.bwdScatter);
  }
  return { k, config, batch, index, U, p, features };
}

/** Rows of the long operand per pass of `gemmOverSteps` (32, 64 and 96 measured alike; 128 slower; all of K 1.3× slower). */
const K_BLOCK = 64;

/**
 * out[rows, N] = inpT[rows, K] · w[K, N] for a long K (dR over every step of a batch: K ≈ 3,000 rows
 * of dz, 3 MB): K in blocks of K_BLOCK, so that each block of w is read from cache by every row pair
 * instead of all of w streaming from memory once per pair (1.3× the whole batch's speed).
 */
function gemmOverSteps(k: LstmExports, out: number, N: number, inpT: number, K: number, w: number, wStride: number, n: number, rows: number): void {
  for (let m = 0; m < K; m += K_BLOCK) k.gemm(out, N, m > 0 ? 1 : 0, inpT + m * 4, K, w + m * wStride * 4, wStride, Math.min(K_BLOCK, K - m), n, rows);
}

/** Logits [b, C] of the one-layer BiLSTM (no dropout): the fused forward pass alone. */
export function fusedBiLstmLogits(weights: StudentWeights, batch: Batch): Float32Array {
  const s = forwardFeatures(weights, batch, false);
  return dense(weights, s.features, batch.size);
}

function dense(weights: StudentWeights, features: Float32Array, b: number): Float32Array {
  const C = weights.numClasses;
  const K = weights.params['dense.kernel'].data;
  const bias = weights.params['dense.bias'].data;
  const F = K.length / C;
  const logits = new Float32Array(b * C);
  for (let i = 0; i < b; i++) {
    for (let c = 0; c < C; c++) {
      let z = bias[c];
      for (let f = 0; f < F; f++) z += features[i * F + f] * K[f * C + c];
      logits[i * C + c] = z;
    }
  }
  return logits;
}

export interface FusedGradients {
  loss: number;
  weightSum: number;
  /** Gradients of lstm0.W, lstm0.R, lstm0.b, dense.kernel, dense.bias (denseParamNames order). */
  dense: Float32Array[];
  /** Distinct embedding rows of the batch and their gradients [U, E]. */
  embeddingRows: Int32Array;
  embeddingGrads: Float32Array;
}

/**
 * Loss and gradients of one batch. `normaliser` (default: the batch's total weight) divides the
 * weighted loss sum: a share of a batch trained on another thread passes the whole batch's.
 */
export function fusedBiLstmGradients(
  weights: StudentWeights,
  batch: Batch,
  rows: ArrayLike<number>,
  targets: DistillTargets,
  settings: { temperature: number; alpha: number; loss: 'kl' | 'mse' },
  dropout: Float32Array | undefined,
  normaliser?: number,
): FusedGradients {
  const s = forwardFeatures(weights, batch, true);
  const { k, p, U, config, index } = s;
  const b = batch.size;
  const L = batch.len;
  const LB = L * b;
  const E = config.embeddingDim;
  const H = config.hiddenSize;
  const G = 4 * H;
  const F = 4 * H;
  const C = weights.numClasses;
  const feats = dropout ? s.features.map((v, j) => v * dropout[j]) : s.features;
  const logits = dense(weights, feats, b);
  const dLogits = new Float32Array(b * C);
  const { loss, weightSum } = distillationLoss(logits, C, rows, targets, settings, dLogits, normaliser);

  // Dense layer and dropout.
  const K = weights.params['dense.kernel'].data;
  const dK = new Float32Array(F * C);
  const dBias = new Float32Array(C);
  const dFeat = new Float32Array(b * F);
  for (let i = 0; i < b; i++) {
    for (let c = 0; c < C; c++) {
      const g = dLogits[i * C + c];
      if (g === 0) continue;
      dBias[c] += g;
      for (let f = 0; f < F; f++) {
        dK[f * C + c] += feats[i * F + f] * g;
        dFeat[i * F + f] += g * K[f * C + c];
      }
    }
  }
  if (dropout) for (let j = 0; j < dFeat.length; j++) dFeat[j] *= dropout[j];

  // Pooling backward into dL/dh [L, b, 2, H].
  f32(k, p.dfeat, b * F).set(dFeat);
  k.poolBackward(p.dy, 2 * H, L, b, 2 * H, p.lengths, p.dfeat, p.argmax);

  // Backward through time per direction; dR = Σ_t h_{t−1}ᵀ dz_t; dP = per-token sums of dz.
  for (let d = 0; d < 2; d++) k.transpose(p.rT + d * H * G * 4, p.r + d * H * G * 4, G, H, G);
  const dpu = f32(k, p.dpu, U * 2 * G);
  dpu.fill(0);
  for (let d = 0; d < 2; d++) {
    const g = p.g + d * LB * G * 4;
    k.lstmBackward(L, b, H, g, p.c + d * LB * H * 4, p.tc + d * LB * H * 4, p.rT + d * H * G * 4, p.dy + d * H * 4, 2 * H, p.dh, p.dc);
    if (L > 1) {
      k.transpose(p.hT, p.h + d * H * 4, 2 * H, (L - 1) * b, H);
      gemmOverSteps(k, p.dr + d * H * G * 4, G, p.hT, (L - 1) * b, g + b * G * 4, G, G, H);
    } else {
      f32(k, p.dr + d * H * G * 4, H * G).fill(0);
    }
    k.scatterAddRows(p.dpu + d * G * 4, 2 * G, g, G, d === 0 ? p.scF : p.scB, LB, G);
  }
  // Input side: dW = E_Uᵀ·dP, dE_U = dP·Wᵀ, dbias = Σ_u dP_u.
  k.transpose(p.euT, p.eu, E, U, E);
  k.gemm(p.dw, 2 * G, 0, p.euT, U, p.dpu, 2 * G, U, 2 * G, E); // (blocking over U measured no faster)
  k.transpose(p.wT, p.w, 2 * G, E, 2 * G);
  k.gemm(p.deu, E, 0, p.dpu, 2 * G, p.wT, E, 2 * G, E, U);

  // dbias = Σ_u dP_u, in wasm: in JavaScript this sum was 3–4 % of a thread's time.
  k.sumRows(p.db, p.dpu, 2 * G, U, 2 * G);
  const dB = f32(k, p.db, 2 * G).slice();
  const dwCat = f32(k, p.dw, E * 2 * G);
  const dW = new Float32Array(2 * E * G);
  for (let d = 0; d < 2; d++) for (let e = 0; e < E; e++) dW.set(dwCat.subarray(e * 2 * G + d * G, e * 2 * G + d * G + G), (d * E + e) * G);
  return {
    loss,
    weightSum,
    dense: [dW, f32(k, p.dr, 2 * H * G).slice(), dB, dK, dBias],
    embeddingRows: index.ids,
    embeddingGrads: f32(k, p.deu, U * E).slice(),
  };
}
