/**
 * The n-gram student: weights, forward pass and training, in plain TypeScript (no tfjs).
 *
 * A text is the set of its known n-gram ids f (lib/ml/ngram.ts). Each weighs its inverse document
 * frequency, and the weights are L2-normalised over the text — the TF-IDF vector of the classical
 * peer, with binary term frequency:
 *   v_f = idf_f / sqrt(Σ_g idf_g²)
 *   linear (embeddingDim 0):   logits = Σ_f v_f · E[f] + b            E: [V, C]
 *   bag    (embeddingDim D):   logits = (Σ_f v_f · E[f]) · W + b      E: [V, D], W: [D, C]
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
import { parseStudentConfig, parseTrainConfig, type NgramConfig, type TrainConfig } from './config.ts';
import { assertResumable, averagedWeights, copyTensors, decodeCheckpoint, fingerprintData, type EpochSummary, type TrainCheckpoint } from './checkpoint.ts';
import { distillationLoss, type DistillTargets } from './loss.ts';
import type { StudentWeights, TensorData } from './model.ts';
import { NgramVocab, type NgramVocabJSON } from './ngram.ts';
import { Rng } from './rng.ts';
import { packIds, PAD_ID, type PackedIds } from './tokenizer.ts';
import type { TrainResult, TrainStudentOptions } from './train.ts';

/** Parameter names and shapes: embedding [V, D or C]; idf [V] (not trained); dense.kernel [D, C] (bag only); dense.bias [C]. */
export function ngramParamShapes(config: NgramConfig, vocabSize: number, numClasses: number): Array<[string, number[]]> {
  const D = config.embeddingDim || numClasses;
  const shapes: Array<[string, number[]]> = [
    ['embedding', [vocabSize, D]],
    ['idf', [vocabSize]],
  ];
  if (config.embeddingDim) shapes.push(['dense.kernel', [D, numClasses]]);
  shapes.push(['dense.bias', [numClasses]]);
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
      const D = shape[1];
      const limit = 1 / Math.sqrt(D);
      for (let i = D; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * limit;
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

  constructor(
    readonly weights: StudentWeights,
    readonly D: number,
  ) {
    this.hidden = new Float32Array(D);
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

  /** Logits of one text (ids tokens[from, to)) into out[o, o + C). */
  logits(tokens: Int32Array, from: number, to: number, out: Float32Array, o: number): void {
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
    for (let k = 0; k < C; k++) out[o + k] = bias[k];
    for (let q = 0; q < D; q++) {
      const hq = h[q];
      const row = q * C;
      for (let k = 0; k < C; k++) out[o + k] += hq * W[row + k];
    }
  }
}

/** Class probabilities of packed ids, n×C (the same numbers as the exported ONNX graph). */
export function predictNgramProbs(weights: StudentWeights, data: PackedIds): Float32Array {
  const C = weights.numClasses;
  const n = data.offsets.length - 1;
  const cfg = weights.config as NgramConfig;
  const fwd = new Forward(weights, cfg.embeddingDim || C);
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

export async function trainNgramStudent(options: TrainStudentOptions): Promise<TrainResult> {
  const model = parseStudentConfig(options.model);
  if (model.arch !== 'ngram') throw new Error('trainNgramStudent trains n-gram students');
  const train = parseTrainConfig(options.train ?? {}, 'ngram');
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
  const D = model.embeddingDim || C;

  let s: NgramState;
  if (options.resumeFrom) {
    const cp = options.resumeFrom instanceof Uint8Array ? decodeCheckpoint(options.resumeFrom) : options.resumeFrom;
    assertResumable(cp, model, train, C, V, fingerprint, undefined);
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
    const weights = initNgramWeights(model, V, C, rng, vocab?.idf());
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
      grad2[name] = new Float32Array(name === 'embedding' ? V : p.data.length);
    }
    s = { weights, avg, grad2, step: 0, averagedSteps: 0, epoch: 0, rng, history: [] };
  }

  const P = s.weights.params;
  const E = P.embedding.data;
  const bias = P['dense.bias'].data;
  const W = P['dense.kernel']?.data ?? null;
  const AE = s.avg.embedding;
  const AB = s.avg['dense.bias'];
  const AW = s.avg['dense.kernel'] ?? null;
  const GE = s.grad2.embedding;
  const GB = s.grad2['dense.bias'];
  const GW = s.grad2['dense.kernel'] ?? null;
  const lr = train.learningRate;
  const B = train.batchSize;
  const settings = { temperature: train.temperature, alpha: train.alpha, loss: train.loss };
  const targets: DistillTargets = data;
  const fwd = new Forward(s.weights, D);
  const logits = new Float32Array(B * C);
  const dLogits = new Float32Array(B * C);
  const hidden = new Float32Array(B * D);
  const dHidden = new Float32Array(D);
  const EPS = 1e-10;
  const progressEvery = options.progressIntervalMs ?? 500;
  // Every visit of an example is one unit-weight step: its weight says how often it is visited.
  const unit: DistillTargets = { ...targets, weights: new Float32Array(n).fill(1) };

  for (let epoch = s.epoch; epoch < train.epochs; epoch++) {
    if (options.shouldStop?.()) break;
    const order = epochOrder(data.weights, s.rng);
    // Averaging begins after the first epoch of a fresh start (its early, far-off iterates would
    // drag the average; on Banking77's validation slice: 0.9007 at epoch 6 against 0.9000 at epoch
    // 10 when averaging from the first step), and at once when fine-tuning a trained student.
    const averaging = !!options.initFrom || epoch >= 1;
    const visits = order.length;
    const started = performance.now();
    let lastReport = started;
    let lastYield = started;
    let lossSum = 0;
    let weightSum = 0;
    const steps = Math.ceil(visits / B);
    for (let st = 0; st < steps; st++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
      const rows = order.subarray(st * B, Math.min(visits, st * B + B));
      const b = rows.length;
      for (let r = 0; r < b; r++) {
        const i = rows[r];
        const to = Math.min(data.offsets[i + 1], data.offsets[i] + model.maxLen);
        fwd.logits(data.tokens, data.offsets[i], to, logits, r * C);
        if (W) hidden.set(fwd.hidden, r * D);
      }
      const res = distillationLoss(logits.subarray(0, b * C), C, rows, unit, settings, dLogits.subarray(0, b * C));
      lossSum += res.loss * res.weightSum;
      weightSum += res.weightSum;
      s.step++;
      // Averaging: once it has begun, step u's change enters A with weight (u − s₀ − 1).
      const lag = s.averagedSteps;
      if (averaging) s.averagedSteps++;
      // Bias and dense kernel: AdaGrad per coordinate.
      for (let k = 0; k < C; k++) {
        let g = 0;
        for (let r = 0; r < b; r++) g += dLogits[r * C + k];
        if (g === 0) continue;
        GB[k] += g * g;
        const d = (lr * g) / Math.sqrt(GB[k] + EPS);
        bias[k] -= d;
        AB[k] -= lag * d;
      }
      for (let r = 0; r < b; r++) {
        const i = rows[r];
        const from = data.offsets[i];
        const to = Math.min(data.offsets[i + 1], from + model.maxLen);
        const nf = fwd.featureValues(data.tokens, from, to);
        const v = fwd.values;
        const dl = dLogits.subarray(r * C, r * C + C);
        let grad: Float32Array = dl;
        if (W) {
          // dHidden = dLogits · Wᵀ (with W before this step's update), then W's own step.
          for (let q = 0; q < D; q++) {
            let acc = 0;
            const row = q * C;
            for (let k = 0; k < C; k++) acc += W[row + k] * dl[k];
            dHidden[q] = acc;
          }
          if (model.activation === 'relu') for (let q = 0; q < D; q++) if (!(hidden[r * D + q] > 0)) dHidden[q] = 0;
          const h = hidden.subarray(r * D, r * D + D);
          for (let q = 0; q < D; q++) {
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
        let g2 = 0;
        for (let q = 0; q < D; q++) g2 += grad[q] * grad[q];
        if (g2 === 0) continue;
        g2 /= D;
        // Row-wise AdaGrad: the row's accumulator grows by the mean squared gradient of the row.
        for (let j = 0; j < nf; j++) {
          const x = v[j];
          if (x === 0) continue;
          const f = data.tokens[from + j];
          GE[f] += g2 * x * x;
          const scale = (lr * x) / Math.sqrt(GE[f] + EPS);
          const base = f * D;
          for (let q = 0; q < D; q++) {
            const d = scale * grad[q];
            E[base + q] -= d;
            AE[base + q] -= lag * d;
          }
        }
      }

      const now = performance.now();
      if (options.onProgress && (now - lastReport >= progressEvery || st === steps - 1)) {
        lastReport = now;
        const done = Math.min(visits, (st + 1) * B);
        options.onProgress({ epoch, epochs: train.epochs, step: st + 1, steps, loss: weightSum > 0 ? lossSum / weightSum : 0, examplesPerSecond: done / ((now - started) / 1000), seconds: (now - started) / 1000 });
      }
      if (now - lastYield > 200) {
        lastYield = now;
        await new Promise((r) => setImmediate(r));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    s.history.push({ epoch, loss: weightSum > 0 ? lossSum / weightSum : 0, examples: visits, seconds, examplesPerSecond: visits / seconds });
    s.epoch = epoch + 1;
    if (options.onEpochEnd) await options.onEpochEnd(toCheckpoint(s, model, train, C, V, fingerprint, vocabJson));
  }
  return { weights: averagedWeights(s.weights.params, s.avg, s.averagedSteps, s.weights), history: [...s.history], backend: 'js' };
}
