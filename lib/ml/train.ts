/**
 * Student training with distillation: the loop.
 *
 * The loop is built for throughput on a 2-core box without a GPU (tfjs wasm, single-threaded):
 *   - length-bucketed batches (lib/ml/batching.ts), so a batch pads to a length close to its texts';
 *   - the embedding lookup and its gradient stay in JavaScript, and the embedding is updated with
 *     a lazy (sparse) Adam (lib/ml/optimizer.ts) that touches only the rows a batch used;
 *   - the loss and its gradient with respect to the logits are computed in JavaScript
 *     (lib/ml/loss.ts), tfjs backpropagates them through the network.
 *
 * Determinism and resumption: every random draw (init, shuffles, dropout) comes from one seeded
 * generator; at the end of each epoch the checkpoint (lib/ml/checkpoint.ts) stores the weights,
 * the Adam moments and step, the generator state, the epoch and the vocabulary. A run killed
 * mid-epoch restarts from its last checkpoint and ends with bit-for-bit the model the
 * uninterrupted run would have produced (same backend, same data).
 */
import { initBackend, tf, type BackendName } from './backend.ts';
import { epochBatches } from './batching.ts';
import { assertResumable, copyTensors, decodeCheckpoint, fingerprintData, stateFromCheckpoint, toCheckpoint, type EpochSummary, type TrainCheckpoint, type TrainState } from './checkpoint.ts';
import { parseStudentConfig, parseTrainConfig, type StudentConfigInput, type TrainConfigInput } from './config.ts';
import { distillationLoss, type DistillTargets } from './loss.ts';
import { assertRows } from './math.ts';
import { denseParamNames, featureDim, forwardInputs, forwardLogits, initWeights, makeBatch, type Batch, type StudentWeights } from './model.ts';
import { applyAdam, SparseRows, zerosLike } from './optimizer.ts';
import { Rng } from './rng.ts';
import { packIds, type PackedIds, type VocabJSON } from './tokenizer.ts';
import type { FeatureVocabJSON } from './features.ts';
import { trainNgramStudent } from './ngram-student.ts';
import { fusedBiLstmGradients, fusedKernelsAvailable, type FusedGradients } from './lstm-fused.ts';
import { BiLstmThreads, shareDropout, shareRows, shareWeights } from './lstm-parallel.ts';
import type { BiLstmConfig } from './config.ts';
import { availableParallelism } from 'node:os';

export { epochBatches } from './batching.ts';
export { encodeCheckpoint, decodeCheckpoint, weightsFromCheckpoint, type EpochSummary, type TrainCheckpoint } from './checkpoint.ts';

export interface TrainData extends DistillTargets {
  /** Token ids per example (unpadded), or packed. */
  ids: Int32Array[] | PackedIds;
}

export interface TrainProgress {
  /** 0-based epoch being trained. */
  epoch: number;
  epochs: number;
  /** Step within the epoch (1-based, after the step) and steps in the epoch. */
  step: number;
  steps: number;
  /** Weighted mean loss over the epoch so far. */
  loss: number;
  examplesPerSecond: number;
  /** Seconds since the epoch started (the pace that time-left estimates go by). */
  seconds: number;
}

export interface TrainStudentOptions {
  model: StudentConfigInput;
  train?: TrainConfigInput;
  data: TrainData;
  numClasses: number;
  /** Vocabulary size (ids must be < vocabSize). */
  vocabSize: number;
  /** The vocabulary the ids come from, stored in every checkpoint (its size must be vocabSize). */
  vocab?: FeatureVocabJSON;
  onProgress?: (p: TrainProgress) => void;
  /** Called with a checkpoint after every epoch; persist it to survive a kill. */
  onEpochEnd?: (checkpoint: TrainCheckpoint) => void | Promise<void>;
  resumeFrom?: TrainCheckpoint | Uint8Array;
  /**
   * Start from these weights instead of a random initialisation (warm start: a round fine-tunes
   * the previous student). Shapes must match the model config, vocabulary and classes.
   */
  initFrom?: StudentWeights;
  /**
   * n-gram students: per-feature weights that replace the vocabulary's idf (the `idf` tensor,
   * which training never changes and the ONNX graph applies), e.g. the reference teacher's
   * naive-Bayes-scaled idf. One per vocabulary row, padding 0.
   */
  featureWeights?: Float32Array;
  /** Minimum milliseconds between onProgress calls (default 500). */
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /**
   * Asked before every epoch (also the first one after a resume): true ends training there —
   * early stopping, e.g. when a validation score has not improved for a few epochs.
   */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  weights: StudentWeights;
  history: EpochSummary[];
  /** The tfjs backend that trained it, or 'js' for the n-gram student (plain TypeScript). */
  backend: BackendName | 'js';
}

export async function trainStudent(options: TrainStudentOptions): Promise<TrainResult> {
  const model = parseStudentConfig(options.model);
  if (model.arch === 'ngram') return trainNgramStudent(options);
  const backend = await initBackend();
  const parsed = parseTrainConfig(options.train ?? {}, model.arch);
  const C = options.numClasses;
  const V = options.vocabSize;
  if (options.vocab && options.vocab.format !== 'distillery-vocab') throw new Error(`a ${model.arch} student needs a token vocabulary`);
  if (options.vocab && options.vocab.tokens.length !== V) throw new Error(`the vocabulary has ${options.vocab.tokens.length} tokens, vocabSize is ${V}`);
  const data = normaliseData(options.data, C, V);
  const fingerprint = fingerprintData(data, C);
  // The one-layer BiLSTM (the default) trains on the fused wasm kernels, on `threads` threads;
  // stacked BiLSTMs and the TextCNN on tfjs ops, on one.
  const fused = model.arch === 'bilstm' && model.layers === 1 && fusedKernelsAvailable();
  const checkpoint = options.resumeFrom ? (options.resumeFrom instanceof Uint8Array ? decodeCheckpoint(options.resumeFrom) : options.resumeFrom) : null;
  const train = fused
    ? { ...parsed, threads: lstmThreads(parsed.threads, data.offsets.length - 1, checkpoint ? (checkpoint.train.threads ?? 1) : undefined) }
    : parsed;

  let state: TrainState;
  let vocab = options.vocab as VocabJSON | undefined;
  if (checkpoint) {
    const cp = checkpoint;
    assertResumable(cp, model, train, C, V, fingerprint, vocab);
    state = stateFromCheckpoint(cp);
    vocab ??= cp.vocab as VocabJSON | undefined;
  } else {
    const rng = new Rng(train.seed);
    const weights = initWeights(model, V, C, rng);
    if (options.initFrom) {
      for (const [name, t] of Object.entries(weights.params)) {
        const from = options.initFrom.params[name];
        if (!from || from.data.length !== t.data.length) throw new Error(`initFrom: parameter ${name} has another shape`);
        t.data.set(from.data);
      }
    }
    state = { weights, adamM: zerosLike(weights.params), adamV: zerosLike(weights.params), step: 0, epoch: 0, rng, history: [] };
  }

  const names = denseParamNames(model, V, C);
  const E = model.embeddingDim;
  const settings = { temperature: train.temperature, alpha: train.alpha, loss: train.loss };
  const sparse = new SparseRows(V, E);
  const progressEvery = options.progressIntervalMs ?? 500;
  const T = train.threads ?? 1;
  if (T > 1) shareWeights(state.weights);
  const pool = T > 1 ? new BiLstmThreads(T - 1, state.weights, data, settings) : null;
  try {
    for (let epoch = state.epoch; epoch < train.epochs; epoch++) {
      if (options.shouldStop?.()) break;
      const batches = epochBatches(data.offsets, model.maxLen, train.batchSize, state.rng);
      const started = performance.now();
      let lastReport = started;
      let lastYield = started;
      let lossSum = 0;
      let weightSum = 0;
      let examples = 0;
      // On several threads the next batch's dropout mask is drawn while this thread waits for the
      // others (the generator's draws stay in the same order: nothing else draws within an epoch).
      const ahead: { ready: boolean; mask: Float32Array | undefined } = { ready: false, mask: undefined };
      for (let s = 0; s < batches.length; s++) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
        const rows = batches[s];
        const dropout = ahead.ready ? ahead.mask : dropoutMask(rows.length, featureDim(model), model.dropout, state.rng);
        ahead.ready = false;
        let g: { loss: number; weightSum: number; dense: Float32Array[] };
        if (pool) {
          const next = s + 1 < batches.length ? batches[s + 1] : null;
          const drawNext = next
            ? () => {
                ahead.mask = dropoutMask(next.length, featureDim(model), model.dropout, state.rng);
                ahead.ready = true;
              }
            : undefined;
          g = await parallelGradients(pool, T, state.weights, rows, data, settings, dropout, featureDim(model), sparse, drawNext);
        } else if (fused) {
          const f = fusedBiLstmGradients(state.weights, makeBatch(data.offsets, data.tokens, rows, model.maxLen), rows, data, settings, dropout);
          sparse.addRows(f.embeddingRows, f.embeddingGrads);
          g = f;
        } else {
          const batch = makeBatch(data.offsets, data.tokens, rows, model.maxLen);
          const t = computeGradients(state.weights, names, batch, rows, data, C, settings, dropout);
          const timeMajor = model.arch === 'bilstm';
          sparse.accumulate(batch, t.dX, false, timeMajor);
          if (t.dXReversed) sparse.accumulate(batch, t.dXReversed, true, timeMajor);
          g = t;
        }
        state.step++;
        applyAdam(state, names, g.dense, sparse, train);
        sparse.reset();
        lossSum += g.loss * g.weightSum;
        weightSum += g.weightSum;
        examples += rows.length;

        const now = performance.now();
        if (options.onProgress && (now - lastReport >= progressEvery || s === batches.length - 1)) {
          lastReport = now;
          options.onProgress({
            epoch,
            epochs: train.epochs,
            step: s + 1,
            steps: batches.length,
            loss: weightSum > 0 ? lossSum / weightSum : 0,
            examplesPerSecond: examples / ((now - started) / 1000),
            seconds: (now - started) / 1000,
          });
        }
        if (now - lastYield > 200) {
          // Let timers and I/O (progress writes, abort signals) run.
          lastYield = now;
          await new Promise((r) => setImmediate(r));
        }
      }
      const seconds = (performance.now() - started) / 1000;
      state.history.push({ epoch, loss: weightSum > 0 ? lossSum / weightSum : 0, examples, seconds, examplesPerSecond: examples / seconds });
      state.epoch = epoch + 1;
      if (options.onEpochEnd) await options.onEpochEnd(toCheckpoint(state, model, train, C, V, fingerprint, vocab));
    }
  } finally {
    await pool?.close();
  }
  return { weights: copyWeights(state.weights), history: [...state.history], backend };
}

/** Examples per epoch from which the BiLSTM trains on two threads by default (a batch or two per thread is not worth a thread). */
const LSTM_THREADS_MIN_EXAMPLES = 1_000;

/**
 * Threads of a fused BiLSTM run: the requested count, else the resumed run's, else
 * DISTILLERY_TRAIN_THREADS, else up to two (one per core) from LSTM_THREADS_MIN_EXAMPLES examples.
 */
export function lstmThreads(requested: number | undefined, examples: number, resumedWith?: number): number {
  if (requested != null) return requested;
  if (resumedWith != null) return resumedWith;
  const env = Number(process.env.DISTILLERY_TRAIN_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  return examples >= LSTM_THREADS_MIN_EXAMPLES ? Math.max(1, Math.min(2, availableParallelism())) : 1;
}

/** One batch's gradients from T interleaved shares (lib/ml/lstm-parallel.ts), added in share order. */
async function parallelGradients(
  pool: BiLstmThreads,
  T: number,
  weights: StudentWeights,
  rows: Int32Array,
  data: NormalisedData,
  settings: { temperature: number; alpha: number; loss: 'kl' | 'mse' },
  dropout: Float32Array | undefined,
  dim: number,
  sparse: SparseRows,
  whileWaiting?: () => void,
): Promise<{ loss: number; weightSum: number; dense: Float32Array[] }> {
  let normaliser = 0;
  for (let i = 0; i < rows.length; i++) normaliser += data.weights[rows[i]];
  const others: Promise<FusedGradients>[] = [];
  for (let s = 1; s < T; s++) {
    const r = shareRows(rows, s, T);
    if (r.length === 0) continue;
    others.push(pool.start(s, { rows: r, dropout: shareDropout(dropout, dim, rows.length, s, T) ?? null, normaliser }));
  }
  const own = shareRows(rows, 0, T);
  const config = weights.config as BiLstmConfig;
  const mine = fusedBiLstmGradients(weights, makeBatch(data.offsets, data.tokens, own, config.maxLen), own, data, settings, shareDropout(dropout, dim, rows.length, 0, T), normaliser);
  // This thread's share is added first (the shares' order), before waiting for the others.
  const dense = mine.dense; // fresh arrays, this thread's own
  sparse.addRows(mine.embeddingRows, mine.embeddingGrads);
  let loss = 0 + mine.loss;
  let weightSum = 0 + mine.weightSum;
  whileWaiting?.();
  for (const r of await Promise.all(others)) {
    for (let k = 0; k < dense.length; k++) {
      const a = dense[k];
      const b = r.dense[k];
      for (let j = 0; j < a.length; j++) a[j] += b[j];
    }
    sparse.addRows(r.embeddingRows, r.embeddingGrads);
    loss += r.loss;
    weightSum += r.weightSum;
  }
  return { loss, weightSum, dense };
}

interface NormalisedData extends DistillTargets {
  offsets: Int32Array;
  tokens: Int32Array;
}

function normaliseData(data: TrainData, C: number, V: number): NormalisedData {
  const packed = Array.isArray(data.ids) ? packIds(data.ids) : (data.ids as PackedIds);
  const n = packed.offsets.length - 1;
  if (n < 1) throw new Error('no training examples');
  const rows = assertRows(data.softTargets, C, 'softTargets');
  if (rows !== n) throw new Error(`softTargets has ${rows} rows for ${n} examples`);
  if (data.hardLabels.length !== n) throw new Error('hardLabels length differs from the examples');
  if (data.weights.length !== n) throw new Error('weights length differs from the examples');
  if (data.softMask && data.softMask.length !== n) throw new Error('softMask length differs from the examples');
  for (let i = 0; i < packed.tokens.length; i++) {
    const id = packed.tokens[i];
    if (id < 0 || id >= V) throw new Error(`token id ${id} outside the vocabulary (size ${V})`);
  }
  for (let i = 0; i < n; i++) {
    const hasSoft = data.softMask ? data.softMask[i] === 1 : true;
    if (!hasSoft && data.hardLabels[i] < 0) throw new Error(`example ${i} has neither a soft target nor a hard label`);
    if (!(data.weights[i] >= 0)) throw new Error(`example ${i} has a negative or NaN weight`);
  }
  return { ...data, offsets: packed.offsets, tokens: packed.tokens };
}

/** Inverted dropout multipliers (0 or 1/(1−p)), drawn from the run's generator. */
function dropoutMask(b: number, dim: number, p: number, rng: Rng): Float32Array | undefined {
  if (p <= 0) return undefined;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(b * dim);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() >= p ? keep : 0;
  return mask;
}

export interface Gradients {
  loss: number;
  weightSum: number;
  dense: Float32Array[];
  dX: Float32Array;
  dXReversed?: Float32Array;
}

/** One forward/backward pass: loss, gradients of the dense parameters and of the looked-up embeddings. */
export function computeGradients(
  weights: StudentWeights,
  names: string[],
  batch: Batch,
  rows: Int32Array,
  targets: DistillTargets,
  C: number,
  settings: { temperature: number; alpha: number; loss: 'kl' | 'mse' },
  dropout: Float32Array | undefined,
): Gradients {
  const out: Gradients = { loss: 0, weightSum: 0, dense: [], dX: new Float32Array(0) };
  // tidy returns nothing: results leave as Float32Arrays (tidy would walk returned typed arrays element by element).
  tf.tidy(() => {
    const inputs = forwardInputs(weights, batch, dropout);
    const params = names.map((nm) => tf.tensor(weights.params[nm].data, weights.params[nm].shape));
    const dLogits = new Float32Array(batch.size * C);
    const offset = inputs.xReversed ? 2 : 1;
    const differentiable = inputs.xReversed ? [inputs.x, inputs.xReversed, ...params] : [inputs.x, ...params];
    const grads = tf.grads((...ts: tf.Tensor[]) => {
      const xs = inputs.xReversed ? { ...inputs, x: ts[0] as tf.Tensor3D, xReversed: ts[1] as tf.Tensor3D } : { ...inputs, x: ts[0] as tf.Tensor3D };
      const byName: Record<string, tf.Tensor> = {};
      names.forEach((nm, i) => (byName[nm] = ts[offset + i]));
      const logits = forwardLogits(weights.config, xs, byName);
      // The loss and dL/dlogits are computed in JS; Σ logits·dL/dlogits has the same gradient.
      const r = distillationLoss(logits.dataSync() as Float32Array, C, rows, targets, settings, dLogits);
      out.loss = r.loss;
      out.weightSum = r.weightSum;
      return tf.sum(tf.mul(logits, tf.tensor2d(dLogits, [batch.size, C])));
    })(differentiable);
    out.dX = grads[0].dataSync() as Float32Array;
    if (inputs.xReversed) out.dXReversed = grads[1].dataSync() as Float32Array;
    out.dense = grads.slice(offset).map((g) => g.dataSync() as Float32Array);
  });
  return out;
}

function copyWeights(w: StudentWeights): StudentWeights {
  return { ...w, params: copyTensors(w.params) };
}

