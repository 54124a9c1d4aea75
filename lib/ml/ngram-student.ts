/**
 * The n-gram student: weights, forward pass and training, in plain TypeScript (no tfjs).
 *
 * A text is the set of its known n-gram ids f (lib/ml/ngram.ts). Each weighs its inverse document
 * frequency, and the weights are L2-normalised over the text — the TF-IDF vector of the classical
 * peer, with binary term frequency:
 *   v_f = idf_f / sqrt(Σ_g idf_g²)
 *   linear (embeddingDim 0):   logits = Σ_f v_f · E[f] + b            E: [V, C]
 *   bag    (embeddingDim D):   logits = (Σ_f v_f · E[f]) · W + b      E: [V, D], W: [D, C]
 *   bag with a linear term (embeddingDim D, linear: true): E's rows are [bag D | linear C], and
 *     logits = ((h[:D] · W + b₁) + (h[D:] + b₂)) / 2,  h = Σ_f v_f · E[f]   E: [V, D + C], b: [2, C]
 *     two heads over one feature pass, each trained on its own distillation loss (as the bag and the
 *     linear student would be apart, with an AdaGrad accumulator per head and row), scored as the
 *     mean of their logits: an ensemble of the two in one model and one ONNX graph.
 * Padding (id 0) has idf 0, so it adds nothing, and the ONNX graph (lib/ml/onnx.ts) computes
 * exactly this from the padded id matrix.
 *
 * Training: the distillation loss of lib/ml/loss.ts (teacher soft targets, human labels, weights,
 * temperature, alpha: the same as the other students), AdaGrad — one accumulator per table row
 * (row-wise, as for large embedding tables), per coordinate for W and b — and iterate averaging:
 * the model kept is the average of every step's weights since training began (Polyak–Ruppert),
 * which is what makes a few SGD epochs as accurate as a fully converged logistic regression. On
 * COLD and Banking77 validation slices, plain AdaGrad peaked after 1–3 epochs and then lost
 * 0.5–1.5 points; averaged, it keeps improving (lib/ml/README.md).
 *
 * Determinism and resumption as for the tfjs students: one seeded generator (init, shuffles), and
 * a checkpoint after every epoch (params, the averaging sums in `adamM`, the AdaGrad sums in
 * `adamV`, the step count), from which a resumed run continues bit for bit.
 */
import { availableParallelism } from 'node:os';
import { parseStudentConfig, parseTrainConfig, type NgramConfig, type TrainConfig } from './config.ts';
import { assertResumable, averagedWeights, copyTensors, decodeCheckpoint, fingerprintData, type EpochSummary, type TrainCheckpoint } from './checkpoint.ts';
import { distillationLoss, type DistillTargets } from './loss.ts';
import type { StudentWeights, TensorData } from './model.ts';
import { NgramVocab, type NgramVocabJSON } from './ngram.ts';
import { Rng } from './rng.ts';
import { packIds, PAD_ID, type PackedIds } from './tokenizer.ts';
import type { TrainResult, TrainStudentOptions } from './train.ts';
import { NgramThreads, shareSteps } from './ngram-parallel.ts';

/** Width of an embedding row: C (linear), D (bag) or D + C (bag with a linear term: the bag's D columns, then the linear model's C). */
export function ngramRowWidth(config: NgramConfig, numClasses: number): number {
  return config.embeddingDim ? config.embeddingDim + (config.linear ? numClasses : 0) : numClasses;
}

/** Parameter names and shapes: embedding [V, C, D or D + C]; idf [V] (not trained); dense.kernel [D, C] (bag only); dense.bias [C]. */
export function ngramParamShapes(config: NgramConfig, vocabSize: number, numClasses: number): Array<[string, number[]]> {
  const D = config.embeddingDim || numClasses;
  const shapes: Array<[string, number[]]> = [
    ['embedding', [vocabSize, ngramRowWidth(config, numClasses)]],
    ['idf', [vocabSize]],
  ];
  if (config.embeddingDim) shapes.push(['dense.kernel', [D, numClasses]]);
  // Two heads (a bag with a linear term): the bag's bias, then the linear head's.
  shapes.push(['dense.bias', config.embeddingDim && config.linear ? [2, numClasses] : [numClasses]]);
  return shapes;
}

/**
 * Fresh weights: a linear model starts at zero (its loss is convex); a bag's embeddings and dense
 * kernel start small and random (they must break symmetry). `idf` comes from the vocabulary
 * (1 for every feature when training on bare ids), 0 for padding.
 */
export function initNgramWeights(config: NgramConfig, vocabSize: number, numClasses: number, rng: Rng, idf?: Float32Array): StudentWeights {
  const params: Record<string, TensorData> = {};
  for (const [name, shape] of ngramParamShapes(config, vocabSize, numClasses)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name === 'idf') {
      if (idf) {
        if (idf.length !== vocabSize) throw new Error(`idf has ${idf.length} rows, the vocabulary ${vocabSize}`);
        data.set(idf);
      } else data.fill(1);
      data[PAD_ID] = 0;
    } else if (config.embeddingDim && name === 'embedding') {
      // The bag's columns small and random (PAD's row stays 0), a linear term's columns 0.
      const D = config.embeddingDim;
      const width = shape[1];
      const limit = 1 / Math.sqrt(D);
      for (let r = 1; r < vocabSize; r++) for (let q = 0; q < D; q++) data[r * width + q] = (rng.next() * 2 - 1) * limit;
    } else if (name === 'dense.kernel') {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * limit;
    }
    params[name] = { shape, data };
  }
  return { format: 'distillery-student-weights', version: 1, config, vocabSize, numClasses, params };
}

/** Scratch space of a forward pass. */
class Forward {
  readonly hidden: Float32Array;
  values = new Float32Array(256);

  /** The bag's width (0: linear model); a linear term's C columns follow it in each row. */
  readonly bagDim: number;
  readonly linear: boolean;

  constructor(
    readonly weights: StudentWeights,
    /** Row width of the embedding (ngramRowWidth). */
    readonly D: number,
  ) {
    this.hidden = new Float32Array(D);
    const cfg = weights.config as NgramConfig;
    this.bagDim = cfg.embeddingDim;
    this.linear = !!cfg.linear;
  }

  /** Normalised feature weights of ids[from, to) into `values`; returns the count. */
  featureValues(tokens: Int32Array, from: number, to: number): number {
    const idf = this.weights.params.idf.data;
    const n = to - from;
    if (this.values.length < n) this.values = new Float32Array(n * 2);
    let ss = 0;
    for (let j = 0; j < n; j++) {
      const w = idf[tokens[from + j]];
      this.values[j] = w;
      ss += w * w;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < n; j++) this.values[j] *= inv;
    return n;
  }

  /**
   * Logits of one text (ids tokens[from, to)) into out[o, o + C). With a linear term: the mean of
   * the two heads' logits, or, when `linOut` is given (training), the bag head's logits into
   * `out` and the linear head's into linOut[o, o + C).
   */
  logits(tokens: Int32Array, from: number, to: number, out: Float32Array, o: number, linOut?: Float32Array): void {
    const { params, numClasses: C, config } = this.weights;
    const E = params.embedding.data;
    const bias = params['dense.bias'].data;
    const n = this.featureValues(tokens, from, to);
    const v = this.values;
    if (!(config as NgramConfig).embeddingDim) {
      for (let k = 0; k < C; k++) out[o + k] = bias[k];
      for (let j = 0; j < n; j++) {
        const x = v[j];
        if (x === 0) continue;
        const base = tokens[from + j] * C;
        for (let k = 0; k < C; k++) out[o + k] += E[base + k] * x;
      }
      return;
    }
    const D = this.D;
    const h = this.hidden;
    h.fill(0);
    for (let j = 0; j < n; j++) {
      const x = v[j];
      if (x === 0) continue;
      const base = tokens[from + j] * D;
      for (let q = 0; q < D; q++) h[q] += E[base + q] * x;
    }
    if ((config as NgramConfig).activation === 'relu') for (let q = 0; q < D; q++) if (h[q] < 0) h[q] = 0;
    const W = params['dense.kernel'].data;
    const Db = this.bagDim;
    for (let k = 0; k < C; k++) out[o + k] = bias[k];
    for (let q = 0; q < Db; q++) {
      const hq = h[q];
      const row = q * C;
      for (let k = 0; k < C; k++) out[o + k] += hq * W[row + k];
    }
    if (!this.linear) return;
    // The linear head: the last C columns of the summed rows, plus its own bias.
    if (linOut) for (let k = 0; k < C; k++) linOut[o + k] = h[Db + k] + bias[C + k];
    else for (let k = 0; k < C; k++) out[o + k] = (out[o + k] + h[Db + k] + bias[C + k]) / 2;
  }
}

/** Class probabilities of packed ids, n×C (the same numbers as the exported ONNX graph). */
export function predictNgramProbs(weights: StudentWeights, data: PackedIds): Float32Array {
  const C = weights.numClasses;
  const n = data.offsets.length - 1;
  const cfg = weights.config as NgramConfig;
  const fwd = new Forward(weights, ngramRowWidth(cfg, C));
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const from = data.offsets[i];
    const to = Math.min(data.offsets[i + 1], from + cfg.maxLen);
    fwd.logits(data.tokens, from, to, out, i * C);
    softmaxInPlace(out, i * C, C);
  }
  return out;
}

function softmaxInPlace(x: Float32Array, o: number, C: number): void {
  let max = -Infinity;
  for (let k = 0; k < C; k++) if (x[o + k] > max) max = x[o + k];
  let sum = 0;
  for (let k = 0; k < C; k++) sum += x[o + k] = Math.exp(x[o + k] - max);
  for (let k = 0; k < C; k++) x[o + k] /= sum;
}

/**
 * One epoch's visiting order: an example of weight w is visited ⌊w⌋ times, and once more with
 * probability w − ⌊w⌋, in a shuffled order. Weighting by visits rather than by scaling the
 * gradient: AdaGrad's step shrinks with the squared gradients a row has seen, so one 5× gradient
 * leaves a smaller, noisier trace than five unit ones (on Banking77 a 5× scaled human label cost
 * about a point against weight 1; visited five times, it gains).
 */
export function epochOrder(weights: Float32Array, rng: Rng): Int32Array {
  const n = weights.length;
  const copies = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    let c = Math.floor(w);
    if (rng.next() < w - c) c++;
    copies[i] = c;
    total += c;
  }
  const order = new Int32Array(total);
  for (let i = 0, k = 0; i < n; i++) for (let c = 0; c < copies[i]; c++) order[k++] = i;
  return rng.shuffle(order);
}

/** What the loop keeps between steps; the checkpoint stores exactly this. */
interface NgramState {
  weights: StudentWeights;
  /** Averaging sums per trained parameter: Σ_s (s − 1)·Δ_s, so that the average is W − A/T. */
  avg: Record<string, Float32Array>;
  /** AdaGrad sums: one per embedding row, one per coordinate of the dense parameters. */
  grad2: Record<string, Float32Array>;
  /** Steps taken (T). */
  step: number;
  /** Steps since averaging began (m). */
  averagedSteps: number;
  epoch: number;
  rng: Rng;
  history: EpochSummary[];
}

const TRAINED = ['embedding', 'dense.kernel', 'dense.bias'];

function toCheckpoint(s: NgramState, model: NgramConfig, train: TrainConfig, C: number, V: number, fingerprint: string, vocab?: NgramVocabJSON): TrainCheckpoint {
  const tensors = (arrays: Record<string, Float32Array>) => Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, { shape: [v.length], data: v.slice() }]));
  return {
    format: 'distillery-train-checkpoint',
    version: 1,
    model,
    train,
    numClasses: C,
    vocabSize: V,
    epoch: s.epoch,
    step: s.step,
    rng: s.rng.state(),
    dataFingerprint: fingerprint,
    params: copyTensors(s.weights.params),
    adamM: tensors(s.avg),
    adamV: tensors(s.grad2),
    history: s.history.map((h) => ({ ...h })),
    averagedSteps: s.averagedSteps,
    ...(vocab ? { vocab } : {}),
  };
}

/** The arrays one trainer updates in place: parameters, averaging sums, AdaGrad sums. */
export interface NgramStepArrays {
  E: Float32Array;
  bias: Float32Array;
  W: Float32Array | null;
  AE: Float32Array;
  AB: Float32Array;
  AW: Float32Array | null;
  GE: Float32Array;
  GB: Float32Array;
  GW: Float32Array | null;
  /** Set to 1 for each embedding row a step updates (data-parallel training merges only those); null when nobody asks. */
  touched?: Uint8Array | null;
}

/** What every trainer (the calling thread and each worker thread) shares and never writes. */
export interface NgramStepSetup {
  model: NgramConfig;
  numClasses: number;
  lr: number;
  batchSize: number;
  settings: Pick<TrainConfig, 'temperature' | 'alpha' | 'loss'>;
  idf: Float32Array;
  offsets: Int32Array;
  tokens: Int32Array;
  /** Targets with unit weights: an example's weight is how often the epoch's order visits it. */
  targets: DistillTargets;
}

const EPS = 1e-10;

/** AdaGrad accumulators per embedding row: one, or two with a linear term (its bag's columns and its linear ones). */
export function ngramRowParts(config: NgramConfig): number {
  return config.embeddingDim && config.linear ? 2 : 1;
}

/**
 * One trainer's steps: AdaGrad with lazy iterate averaging (step u's change enters the averaging
 * sums with weight `lag`, the number of averaged steps before it). The single-threaded path and the
 * worker threads (lib/ml/ngram-shard.ts) run exactly this code.
 */
export class NgramStepper {
  readonly D: number;
  private readonly fwd: Forward;
  private readonly logits: Float32Array;
  private readonly dLogits: Float32Array;
  /** The linear head's logits and their gradient (a bag with a linear term), else null. */
  private readonly linLogits: Float32Array | null;
  private readonly dLinLogits: Float32Array | null;
  private readonly hidden: Float32Array;
  private readonly dHidden: Float32Array;
  /** Column bounds of the row's AdaGrad parts: [0, D], or [0, bag, D] with a linear term. */
  private readonly parts: number[];
  lossSum = 0;
  weightSum = 0;

  constructor(
    readonly setup: NgramStepSetup,
    readonly a: NgramStepArrays,
  ) {
    const C = setup.numClasses;
    this.D = ngramRowWidth(setup.model, C);
    this.parts = ngramRowParts(setup.model) === 2 ? [0, setup.model.embeddingDim, this.D] : [0, this.D];
    const params: Record<string, TensorData> = { embedding: { shape: [], data: a.E }, idf: { shape: [], data: setup.idf }, 'dense.bias': { shape: [], data: a.bias } };
    if (a.W) params['dense.kernel'] = { shape: [], data: a.W };
    this.fwd = new Forward({ format: 'distillery-student-weights', version: 1, config: setup.model, vocabSize: setup.idf.length, numClasses: C, params }, this.D);
    const B = setup.batchSize;
    this.logits = new Float32Array(B * C);
    this.dLogits = new Float32Array(B * C);
    const twoHeads = ngramRowParts(setup.model) === 2;
    this.linLogits = twoHeads ? new Float32Array(B * C) : null;
    this.dLinLogits = twoHeads ? new Float32Array(B * C) : null;
    this.hidden = new Float32Array(B * this.D);
    this.dHidden = new Float32Array(this.D);
  }

  /** One step on the examples `rows`; `lag` is this step's averaging weight (0 before averaging begins). */
  step(rows: Int32Array, lag: number): void {
    const { model, numClasses: C, lr, offsets, tokens } = this.setup;
    const { E, bias, W, AE, AB, AW, GE, GB, GW, touched } = this.a;
    const { fwd, logits, dLogits, linLogits, dLinLogits, hidden, dHidden, D } = this;
    const b = rows.length;
    for (let r = 0; r < b; r++) {
      const i = rows[r];
      const to = Math.min(offsets[i + 1], offsets[i] + model.maxLen);
      fwd.logits(tokens, offsets[i], to, logits, r * C, linLogits ?? undefined);
      if (W) hidden.set(fwd.hidden, r * D);
    }
    const res = distillationLoss(logits.subarray(0, b * C), C, rows, this.setup.targets, this.setup.settings, dLogits.subarray(0, b * C));
    if (linLogits && dLinLogits) {
      // Two heads, each trained on its own distillation loss (as two students would be); the loss
      // reported is their mean.
      const lin = distillationLoss(linLogits.subarray(0, b * C), C, rows, this.setup.targets, this.setup.settings, dLinLogits.subarray(0, b * C));
      this.lossSum += ((res.loss + lin.loss) / 2) * res.weightSum;
    } else this.lossSum += res.loss * res.weightSum;
    this.weightSum += res.weightSum;
    // Bias (each head's) and dense kernel: AdaGrad per coordinate.
    for (let k = 0; k < bias.length; k++) {
      const dl = k < C ? dLogits : dLinLogits!;
      const c = k < C ? k : k - C;
      let g = 0;
      for (let r = 0; r < b; r++) g += dl[r * C + c];
      if (g === 0) continue;
      GB[k] += g * g;
      const d = (lr * g) / Math.sqrt(GB[k] + EPS);
      bias[k] -= d;
      AB[k] -= lag * d;
    }
    for (let r = 0; r < b; r++) {
      const i = rows[r];
      const from = offsets[i];
      const to = Math.min(offsets[i + 1], from + model.maxLen);
      const nf = fwd.featureValues(tokens, from, to);
      const v = fwd.values;
      const dl = dLogits.subarray(r * C, r * C + C);
      let grad: Float32Array = dl;
      if (W) {
        // dHidden = dLogits · Wᵀ (with W before this step's update; a linear term's columns take
        // the linear head's dLogits), then W's own step.
        const Db = model.embeddingDim;
        if (dLinLogits) for (let k = 0; k < C; k++) dHidden[Db + k] = dLinLogits[r * C + k];
        for (let q = 0; q < Db; q++) {
          let acc = 0;
          const row = q * C;
          for (let k = 0; k < C; k++) acc += W[row + k] * dl[k];
          dHidden[q] = acc;
        }
        if (model.activation === 'relu') for (let q = 0; q < D; q++) if (!(hidden[r * D + q] > 0)) dHidden[q] = 0;
        const h = hidden.subarray(r * D, r * D + D);
        for (let q = 0; q < Db; q++) {
          const hq = h[q];
          if (hq === 0) continue;
          const row = q * C;
          for (let k = 0; k < C; k++) {
            const g = hq * dl[k];
            if (g === 0) continue;
            GW![row + k] += g * g;
            const d = (lr * g) / Math.sqrt(GW![row + k] + EPS);
            W[row + k] -= d;
            AW![row + k] -= lag * d;
          }
        }
        grad = dHidden;
      }
      // Row-wise AdaGrad: the row's accumulator grows by the mean squared gradient of the row; a
      // row with a linear term has one accumulator for its bag columns and one for its linear ones.
      const parts = this.parts;
      for (let p = 0; p < parts.length - 1; p++) {
        const q0 = parts[p];
        const q1 = parts[p + 1];
        let g2 = 0;
        for (let q = q0; q < q1; q++) g2 += grad[q] * grad[q];
        if (g2 === 0) continue;
        g2 /= q1 - q0;
        const P = parts.length - 1;
        for (let j = 0; j < nf; j++) {
          const x = v[j];
          if (x === 0) continue;
          const f = tokens[from + j];
          if (touched) touched[f] = 1;
          const gi = f * P + p;
          GE[gi] += g2 * x * x;
          const scale = (lr * x) / Math.sqrt(GE[gi] + EPS);
          const base = f * D;
          for (let q = q0; q < q1; q++) {
            const d = scale * grad[q];
            E[base + q] -= d;
            AE[base + q] -= lag * d;
          }
        }
      }
    }
  }
}

/** Merges of the threads' shares per epoch (see lib/ml/ngram-parallel.ts for how it was chosen). */
const SYNCS_PER_EPOCH = 4;

/**
 * Threads to train with: the caller's, else DISTILLERY_TRAIN_THREADS, else one. One by default
 * because a second thread did not pay on the 2-core machine: `npm run bench -- train` in an
 * exclusive slot measured two threads at 0.86× one thread's examples/s on COLD and 0.93× on
 * Banking77 (each thread keeps its own copy of the weights, AdaGrad and averaging sums, and the two
 * copies' cache misses slow both; the merges and the thread's start add the rest). A resumed run
 * keeps the thread count it started with (the model depends on it), whatever this machine has.
 */
export function resolveThreads(requested: number | undefined, resumedWith?: number): number {
  if (requested != null) return requested;
  if (resumedWith != null) return resumedWith;
  const env = Number(process.env.DISTILLERY_TRAIN_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  return 1;
}

export async function trainNgramStudent(options: TrainStudentOptions): Promise<TrainResult> {
  const model = parseStudentConfig(options.model);
  if (model.arch !== 'ngram') throw new Error('trainNgramStudent trains n-gram students');
  const parsed = parseTrainConfig(options.train ?? {}, 'ngram');
  const C = options.numClasses;
  const V = options.vocabSize;
  const vocabJson = options.vocab as NgramVocabJSON | undefined;
  if (vocabJson && vocabJson.format !== 'distillery-ngram-vocab') throw new Error('an n-gram student needs an n-gram vocabulary');
  const vocab = vocabJson ? NgramVocab.fromJSON(vocabJson) : null;
  if (vocab && vocab.size !== V) throw new Error(`the vocabulary has ${vocab.size} rows, vocabSize is ${V}`);
  const packed = Array.isArray(options.data.ids) ? packIds(options.data.ids) : (options.data.ids as PackedIds);
  const data = { ...options.data, offsets: packed.offsets, tokens: packed.tokens };
  const n = packed.offsets.length - 1;
  if (n < 1) throw new Error('no training examples');
  for (let i = 0; i < packed.tokens.length; i++) if (packed.tokens[i] < 0 || packed.tokens[i] >= V) throw new Error(`feature id ${packed.tokens[i]} outside the vocabulary (size ${V})`);
  const fingerprint = fingerprintData(data, C);
  const checkpoint = options.resumeFrom ? (options.resumeFrom instanceof Uint8Array ? decodeCheckpoint(options.resumeFrom) : options.resumeFrom) : null;
  // The thread count is part of the config: the model depends on it, so a resume must match it.
  const train: TrainConfig = { ...parsed, threads: resolveThreads(parsed.threads, checkpoint ? (checkpoint.train.threads ?? 1) : undefined) };

  let s: NgramState;
  if (checkpoint) {
    const cp = checkpoint;
    // A checkpoint from before threads existed was trained on one.
    assertResumable({ ...cp, train: { ...cp.train, threads: cp.train.threads ?? 1 } }, model, train, C, V, fingerprint, undefined);
    const arrays = (t: Record<string, TensorData>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.data.slice()]));
    s = {
      weights: { format: 'distillery-student-weights', version: 1, config: model, vocabSize: V, numClasses: C, params: copyTensors(cp.params) },
      avg: arrays(cp.adamM),
      grad2: arrays(cp.adamV),
      step: cp.step,
      averagedSteps: cp.averagedSteps ?? 0,
      epoch: cp.epoch,
      rng: new Rng(cp.rng),
      history: cp.history.map((h) => ({ ...h })),
    };
  } else {
    const rng = new Rng(train.seed);
    const weights = initNgramWeights(model, V, C, rng, options.featureWeights ?? vocab?.idf());
    if (options.initFrom) {
      for (const [name, t] of Object.entries(weights.params)) {
        const from = options.initFrom.params[name];
        if (!from || from.data.length !== t.data.length) throw new Error(`initFrom: parameter ${name} has another shape`);
        t.data.set(from.data);
      }
    }
    const avg: Record<string, Float32Array> = {};
    const grad2: Record<string, Float32Array> = {};
    for (const name of TRAINED) {
      const p = weights.params[name];
      if (!p) continue;
      avg[name] = new Float32Array(p.data.length);
      grad2[name] = new Float32Array(name === 'embedding' ? V * ngramRowParts(model) : p.data.length);
    }
    s = { weights, avg, grad2, step: 0, averagedSteps: 0, epoch: 0, rng, history: [] };
  }

  const P = s.weights.params;
  const arrays: NgramStepArrays = {
    E: P.embedding.data,
    bias: P['dense.bias'].data,
    W: P['dense.kernel']?.data ?? null,
    AE: s.avg.embedding,
    AB: s.avg['dense.bias'],
    AW: s.avg['dense.kernel'] ?? null,
    GE: s.grad2.embedding,
    GB: s.grad2['dense.bias'],
    GW: s.grad2['dense.kernel'] ?? null,
  };
  const B = train.batchSize;
  // Every visit of an example is one unit-weight step: its weight says how often it is visited.
  const setup: NgramStepSetup = {
    model,
    numClasses: C,
    lr: train.learningRate,
    batchSize: B,
    settings: { temperature: train.temperature, alpha: train.alpha, loss: train.loss },
    idf: P.idf.data,
    offsets: data.offsets,
    tokens: data.tokens,
    targets: { ...data, weights: new Float32Array(n).fill(1) },
  };
  const stepper = new NgramStepper(setup, arrays);
  const progressEvery = options.progressIntervalMs ?? 500;
  const pool = train.threads! > 1 ? new NgramThreads(train.threads! - 1, setup, arrays) : null;

  try {
    for (let epoch = s.epoch; epoch < train.epochs; epoch++) {
      if (options.shouldStop?.()) break;
      const order = epochOrder(data.weights, s.rng);
      // Averaging begins after the first epoch of a fresh start (its early, far-off iterates would
      // drag the average; on Banking77's validation slice: 0.9007 at epoch 6 against 0.9000 at epoch
      // 10 when averaging from the first step), and at once when fine-tuning a trained student.
      const averaging = !!options.initFrom || epoch >= 1;
      const visits = order.length;
      const steps = Math.ceil(visits / B);
      // Data parallel: the epoch is cut into segments (SYNCS_PER_EPOCH), each segment's batches into
      // one contiguous share per thread trained from the same weights; the shares are merged at the
      // end of each segment (lib/ml/ngram-parallel.ts). This thread takes the first share.
      const segments = pool ? Math.min(SYNCS_PER_EPOCH, steps) : 1;
      const segSteps = shareSteps(steps, segments);
      const started = performance.now();
      let lastReport = started;
      let lastYield = started;
      let lossSum = 0;
      let weightSum = 0;
      let segFrom = 0;
      for (let g = 0; g < segments; g++) {
        const segTo = Math.min(visits, segFrom + segSteps[g] * B);
        const segment = order.subarray(segFrom, segTo);
        const own = pool ? shareSteps(segSteps[g], train.threads!)[0] : segSteps[g];
        const workers = pool ? pool.startSegment(segment, Math.min(segment.length, own * B), averaging) : null;
        stepper.lossSum = 0;
        stepper.weightSum = 0;
        for (let st = 0; st < own; st++) {
          if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
          const rows = segment.subarray(st * B, Math.min(segment.length, st * B + B));
          // Averaging: once it has begun, step u's change enters A with weight (u − s₀ − 1).
          const lag = s.averagedSteps;
          if (averaging) s.averagedSteps++;
          s.step++;
          stepper.step(rows, lag);
          const now = performance.now();
          if (options.onProgress && (now - lastReport >= progressEvery || (st === own - 1 && !pool))) {
            lastReport = now;
            const done = segFrom + Math.min(segment.length, (st + 1) * B) + (pool ? pool.visitsDone() : 0);
            const loss = (lossSum + stepper.lossSum + (pool?.lossSum() ?? 0)) / Math.max(1e-12, weightSum + stepper.weightSum + (pool?.weightSum() ?? 0));
            options.onProgress({ epoch, epochs: train.epochs, step: Math.min(steps, Math.ceil(done / B)), steps, loss, examplesPerSecond: done / ((now - started) / 1000), seconds: (now - started) / 1000 });
          }
          if (now - lastYield > 200) {
            lastYield = now;
            await new Promise((r) => setImmediate(r));
          }
        }
        lossSum += stepper.lossSum;
        weightSum += stepper.weightSum;
        if (pool && workers) {
          const results = await workers;
          s.averagedSteps += pool.merge(s.averagedSteps, averaging ? results.map((r) => r.steps) : results.map(() => 0));
          for (const r of results) {
            s.step += r.steps;
            lossSum += r.lossSum;
            weightSum += r.weightSum;
          }
          if (options.onProgress) {
            const now = performance.now();
            lastReport = now;
            options.onProgress({ epoch, epochs: train.epochs, step: Math.ceil(segTo / B), steps, loss: weightSum > 0 ? lossSum / weightSum : 0, examplesPerSecond: segTo / ((now - started) / 1000), seconds: (now - started) / 1000 });
          }
        }
        segFrom = segTo;
      }
      const seconds = (performance.now() - started) / 1000;
      s.history.push({ epoch, loss: weightSum > 0 ? lossSum / weightSum : 0, examples: visits, seconds, examplesPerSecond: visits / seconds });
      s.epoch = epoch + 1;
      if (options.onEpochEnd) await options.onEpochEnd(toCheckpoint(s, model, train, C, V, fingerprint, vocabJson));
    }
  } finally {
    await pool?.close();
  }
  return { weights: averagedWeights(s.weights.params, s.avg, s.averagedSteps, s.weights), history: [...s.history], backend: 'js' };
}
