/**
 * The students: weight layout, initialisation and the tfjs forward pass.
 *
 * Weights live in plain Float32Arrays (`StudentWeights`), not in tf.Variables: the optimiser
 * (lib/ml/optimizer.ts) updates them in JavaScript — a lazy Adam that only touches the embedding
 * rows a batch used — and the embedding lookup is done in JavaScript too (the wasm gather is
 * slow and its gradient would be a dense table). tfjs only sees the looked-up [b, L, E] input
 * and the small dense parameters, and computes gradients with respect to them.
 *
 * Padding: ids are right-padded with PAD (0) and the PAD embedding row is kept at exactly zero.
 *   TextCNN: each convolution of width k sees the sequence followed by k−1 zero positions, so
 *     a window starting at a real token is defined even for texts shorter than k; outputs that
 *     start on padding are zeroed after the ReLU. Since ReLU ≥ 0 and every text has ≥ 1 token,
 *     the max over time equals the max over the text's own windows: the same number whether the
 *     text is scored alone or in a padded batch.
 *   BiLSTM: the backward direction runs over each text reversed and left-aligned (so it starts
 *     at the text's last real token, like ONNX's LSTM with sequence_lens); positions past a
 *     text's end come after all of its real ones in both directions, so they never feed back
 *     into them, and pooling masks them out.
 */
import { tf } from './backend.ts';
import type { BiLstmConfig, StudentConfig, TextCnnConfig, TfjsStudentConfig } from './config.ts';
import { fusedBiLstmLogits, fusedKernelsAvailable } from './lstm-fused.ts';
import { softmaxRows } from './math.ts';
import { initNgramWeights, predictNgramProbs } from './ngram-student.ts';
import { Rng } from './rng.ts';
import { PAD_ID } from './tokenizer.ts';

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export interface StudentWeights {
  format: 'distillery-student-weights';
  version: 1;
  config: StudentConfig;
  vocabSize: number;
  numClasses: number;
  /** Named parameters, see `paramShapes`. */
  params: Record<string, TensorData>;
}

/**
 * Parameter names and shapes.
 *   textcnn: embedding [V, E]; conv{k}.kernel [k, E, F] (tf conv1d layout: width, in, out); conv{k}.bias [F];
 *            dense.kernel [K·F, C] (features: bank by bank in kernelSizes order); dense.bias [C]
 *   bilstm:  embedding [V, E]; lstm{l}.W [2, in, 4H]; lstm{l}.R [2, H, 4H]; lstm{l}.b [2, 4H]
 *            (direction 0 forward, 1 backward; gates in ONNX order i, o, f, c; in = E for l = 0, else 2H);
 *            dense.kernel [4H, C] (features: max fwd, max bwd, mean fwd, mean bwd); dense.bias [C]
 */
export function paramShapes(config: TfjsStudentConfig, vocabSize: number, numClasses: number): Array<[string, number[]]> {
  const E = config.embeddingDim;
  const shapes: Array<[string, number[]]> = [['embedding', [vocabSize, E]]];
  if (config.arch === 'textcnn') {
    for (const k of config.kernelSizes) {
      shapes.push([`conv${k}.kernel`, [k, E, config.filters]]);
      shapes.push([`conv${k}.bias`, [config.filters]]);
    }
    shapes.push(['dense.kernel', [config.kernelSizes.length * config.filters, numClasses]]);
  } else {
    const H = config.hiddenSize;
    for (let l = 0; l < config.layers; l++) {
      shapes.push([`lstm${l}.W`, [2, l === 0 ? E : 2 * H, 4 * H]]);
      shapes.push([`lstm${l}.R`, [2, H, 4 * H]]);
      shapes.push([`lstm${l}.b`, [2, 4 * H]]);
    }
    shapes.push(['dense.kernel', [4 * H, numClasses]]);
  }
  shapes.push(['dense.bias', [numClasses]]);
  return shapes;
}

/** Width of the pooled feature vector that dropout and the dense layer see. */
export function featureDim(config: TfjsStudentConfig): number {
  return config.arch === 'textcnn' ? config.kernelSizes.length * config.filters : 4 * config.hiddenSize;
}

/** Fresh weights: Glorot-uniform matrices, zero biases (LSTM forget gate 1), PAD row zero. */
export function initWeights(config: StudentConfig, vocabSize: number, numClasses: number, rng: Rng): StudentWeights {
  if (vocabSize < 2) throw new Error('vocabSize must include PAD and OOV');
  if (config.arch === 'ngram') return initNgramWeights(config, vocabSize, numClasses, rng);
  const params: Record<string, TensorData> = {};
  for (const [name, shape] of paramShapes(config, vocabSize, numClasses)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name === 'embedding') {
      const E = shape[1];
      for (let i = E * (PAD_ID + 1); i < data.length; i++) data[i] = (rng.next() * 2 - 1) * 0.25;
      data.fill(0, PAD_ID * E, (PAD_ID + 1) * E);
    } else if (name.endsWith('.kernel') || name.endsWith('.W') || name.endsWith('.R')) {
      const [fanIn, fanOut] = fans(name, shape);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * limit;
    } else if (name.endsWith('.b') && config.arch === 'bilstm') {
      const H = config.hiddenSize;
      for (let d = 0; d < 2; d++) data.fill(1, d * 4 * H + 2 * H, d * 4 * H + 3 * H); // forget gate (i, o, f, c)
    }
    params[name] = { shape, data };
  }
  return { format: 'distillery-student-weights', version: 1, config, vocabSize, numClasses, params };
}

function fans(name: string, shape: number[]): [number, number] {
  if (name.startsWith('conv')) return [shape[0] * shape[1], shape[0] * shape[2]];
  if (name.startsWith('lstm')) return [shape[1], shape[2]];
  return [shape[0], shape[1]];
}

/** The non-embedding parameters, in the order the forward functions take them. */
export function denseParamNames(config: TfjsStudentConfig, vocabSize: number, numClasses: number): string[] {
  return paramShapes(config, vocabSize, numClasses)
    .map(([n]) => n)
    .filter((n) => n !== 'embedding');
}

/** A padded batch: ids [b, L] row-major, true lengths, and what the forward pass needs from JS. */
export interface Batch {
  size: number;
  len: number;
  ids: Int32Array;
  lengths: Int32Array;
}

/**
 * Builds the [b, L] PAD-padded id matrix of the given examples, L = the longest (after
 * truncation to maxLen). Sequences are never shorter than 1 (the tokenizer guarantees it).
 */
export function makeBatch(offsets: Int32Array, tokens: Int32Array, rows: ArrayLike<number>, maxLen: number): Batch {
  const b = rows.length;
  const lengths = new Int32Array(b);
  let len = 1;
  for (let i = 0; i < b; i++) {
    const r = rows[i];
    const n = Math.min(offsets[r + 1] - offsets[r], maxLen);
    lengths[i] = Math.max(n, 1);
    if (lengths[i] > len) len = lengths[i];
  }
  const ids = new Int32Array(b * len);
  for (let i = 0; i < b; i++) {
    const r = rows[i];
    const n = Math.min(offsets[r + 1] - offsets[r], maxLen);
    if (n === 0) ids[i * len] = 1; // OOV for an empty item
    else ids.set(tokens.subarray(offsets[r], offsets[r] + n), i * len);
  }
  return { size: b, len, ids, lengths };
}

/**
 * Embedding lookup in JS (PAD row is zero). Layout [b, L, E], or [L, b, E] when `timeMajor`
 * (the BiLSTM steps through time). `reversed` lays each text out backwards, left-aligned.
 */
export function lookupEmbeddings(table: Float32Array, E: number, batch: Batch, reversed = false, timeMajor = false): Float32Array {
  const { size: b, len: L, ids, lengths } = batch;
  const out = new Float32Array(b * L * E);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    for (let t = 0; t < n; t++) {
      const id = ids[i * L + (reversed ? n - 1 - t : t)];
      if (id === PAD_ID) continue;
      out.set(table.subarray(id * E, id * E + E), (timeMajor ? t * b + i : i * L + t) * E);
    }
  }
  return out;
}

/**
 * Index map over time-major rows (t·b + i) that reverses each text in place (positions past its
 * length stay): an involution.
 */
export function reverseIndex(batch: Batch): Int32Array {
  const { size: b, len: L, lengths } = batch;
  const idx = new Int32Array(b * L);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    for (let t = 0; t < L; t++) idx[t * b + i] = (t < n ? n - 1 - t : t) * b + i;
  }
  return idx;
}

export function paddingMask(batch: Batch): Float32Array {
  const { size: b, len: L, lengths } = batch;
  const mask = new Float32Array(b * L);
  for (let i = 0; i < b; i++) mask.fill(1, i * L, i * L + lengths[i]);
  return mask;
}

/** Inputs of a forward pass that come from JS (everything but the dense parameters). */
export interface ForwardInputs {
  /** Embeddings in text order: [b, L, E] for the TextCNN, time-major [L, b, E] for the BiLSTM. */
  x: tf.Tensor3D;
  /** Time-major [L, b, E] embeddings of each text reversed and left-aligned (BiLSTM only). */
  xReversed?: tf.Tensor3D;
  /** [L·b] int32 per-text time reversal over time-major rows (BiLSTM with > 1 layer). */
  reverseIdx?: tf.Tensor1D;
  /** [b, L, 1] 1 on real tokens, 0 on padding. */
  mask: tf.Tensor3D;
  /** [b, featureDim] inverted-dropout multipliers, absent at inference. */
  dropout?: tf.Tensor2D;
}

/** Student logits [b, C]. `params` are the dense parameters by name. */
export function forwardLogits(student: StudentConfig, inputs: ForwardInputs, params: Record<string, tf.Tensor>): tf.Tensor2D {
  const config = tfjsConfig(student);
  let features = config.arch === 'textcnn' ? textCnnFeatures(config, inputs, params) : biLstmFeatures(config, inputs, params);
  if (inputs.dropout) features = tf.mul(features, inputs.dropout);
  return tf.add(tf.matMul(features, params['dense.kernel'] as tf.Tensor2D), params['dense.bias']) as tf.Tensor2D;
}

function textCnnFeatures(config: TextCnnConfig, { x, mask }: ForwardInputs, params: Record<string, tf.Tensor>): tf.Tensor2D {
  const pooled = config.kernelSizes.map((k) => {
    const padded = k > 1 ? tf.pad(x, [[0, 0], [0, k - 1], [0, 0]]) : x;
    const conv = tf.conv1d(padded as tf.Tensor3D, params[`conv${k}.kernel`] as tf.Tensor3D, 1, 'valid');
    const act = tf.relu(tf.add(conv, params[`conv${k}.bias`]));
    return tf.max(tf.mul(act, mask), 1) as tf.Tensor2D;
  });
  return pooled.length === 1 ? pooled[0] : tf.concat(pooled, 1);
}

function biLstmFeatures(config: BiLstmConfig, inputs: ForwardInputs, params: Record<string, tf.Tensor>): tf.Tensor2D {
  const { x, xReversed, reverseIdx, mask } = inputs;
  if (!xReversed) throw new Error('BiLSTM forward needs the reversed embeddings');
  const [L, b] = x.shape; // time-major: [L, b, E]
  const H = config.hiddenSize;
  let inF: tf.Tensor = x;
  let inB: tf.Tensor = xReversed;
  let out: tf.Tensor4D | null = null;
  for (let l = 0; l < config.layers; l++) {
    const inDim = inF.shape[2]!;
    const W = params[`lstm${l}.W`];
    const R = params[`lstm${l}.R`];
    const bias = params[`lstm${l}.b`];
    // Input projections of both directions in one [L·b, 8H] tensor, direction-major per row:
    // [i o f c]_fwd | [i o f c]_bwd.
    const dirProj = (d: number, input: tf.Tensor) =>
      tf.matMul(tf.reshape(input, [L * b, inDim]) as tf.Tensor2D, tf.reshape(tf.slice(W, [d, 0, 0], [1, inDim, 4 * H]), [inDim, 4 * H]) as tf.Tensor2D);
    const proj = tf.add(tf.concat([dirProj(0, inF), dirProj(1, inB)], 1), tf.reshape(bias, [8 * H]));
    // Block-diagonal recurrent matrix: [h_fwd, h_bwd] · R_bd = [h_fwd·R_fwd, h_bwd·R_bwd].
    const rF = tf.reshape(tf.slice(R, [0, 0, 0], [1, H, 4 * H]), [H, 4 * H]);
    const rB = tf.reshape(tf.slice(R, [1, 0, 0], [1, H, 4 * H]), [H, 4 * H]);
    const rBlock = tf.concat([tf.pad(rF, [[0, 0], [0, 4 * H]]), tf.pad(rB, [[0, 0], [4 * H, 0]])], 0) as tf.Tensor2D;
    out = biLstmRecurrence(tf.reshape(proj, [L, b, 8 * H]) as tf.Tensor3D, rBlock, H); // [L, b, 2, H]
    if (l + 1 < config.layers) {
      if (!reverseIdx) throw new Error('stacked BiLSTM forward needs reverseIdx');
      // Next layer, forward direction at text position t: [h_fwd(t), h_bwd aligned to t];
      // backward direction at its step t (text position n−1−t): [h_fwd(n−1−t), h_bwd(t)].
      const hF = tf.reshape(tf.slice(out, [0, 0, 0, 0], [L, b, 1, H]), [L * b, H]);
      const hB = tf.reshape(tf.slice(out, [0, 0, 1, 0], [L, b, 1, H]), [L * b, H]);
      inF = tf.reshape(tf.concat([hF, tf.gather(hB, reverseIdx)], 1), [L, b, 2 * H]);
      inB = tf.reshape(tf.concat([tf.gather(hF, reverseIdx), hB], 1), [L, b, 2 * H]);
    }
  }
  // Pool each direction over its own valid steps (both run left-aligned, so one mask serves).
  const m = tf.reshape(tf.transpose(mask, [1, 0, 2]), [L, b, 1, 1]);
  const maxed = tf.max(tf.add(out!, tf.mul(tf.sub(m, 1), 1e4)), 0); // [b, 2, H]
  const mean = tf.div(tf.sum(tf.mul(out!, m), 0), tf.reshape(tf.sum(mask, 1), [b, 1, 1])); // [b, 2, H]
  return tf.concat([tf.reshape(maxed, [b, 2 * H]), tf.reshape(mean, [b, 2 * H])], 1) as tf.Tensor2D;
}

/**
 * The LSTM recurrence of both directions at once, with a hand-written backward pass.
 *
 * Autodiff through a per-step loop is slow on wasm: every per-step slice of the input
 * projections gets a full-size Pad in the backward pass (O(L²) memory traffic) and the matMul
 * gradients use transposed operands (several times slower there). This custom gradient runs
 * plain backpropagation through time on [b, 2, H] state tensors and computes the recurrent
 * weight gradient as one [2H, L·b]·[L·b, 8H] product at the end.
 *
 * proj: [L, b, 8H] input projections + bias, direction-major per row ([i o f c]_fwd, [i o f c]_bwd).
 * rBlock: [2H, 8H] block-diagonal recurrent weights. Returns h: [L, b, 2, H].
 */
function biLstmRecurrence(proj: tf.Tensor3D, rBlock: tf.Tensor2D, H: number): tf.Tensor4D {
  const [L, b] = proj.shape;
  const op = tf.customGrad((projIn, rIn, save) => {
    const p = projIn as tf.Tensor3D;
    const r = rIn as tf.Tensor2D;
    const saveFn = save as tf.GradSaveFunc;
    const gates: tf.Tensor[] = []; // [b, 2, 4H]: sigmoid(i, o, f), tanh(c~)
    const cs: tf.Tensor[] = []; // [b, 2, H] cell state
    const tcs: tf.Tensor[] = []; // [b, 2, H] tanh(c)
    const hs: tf.Tensor[] = []; // [b, 2, H]
    let h: tf.Tensor | null = null;
    let c: tf.Tensor | null = null;
    for (let t = 0; t < L; t++) {
      let z: tf.Tensor = tf.reshape(tf.slice(p, [t, 0, 0], [1, b, 8 * H]), [b, 8 * H]);
      if (h) z = tf.add(z, tf.matMul(tf.reshape(h, [b, 2 * H]) as tf.Tensor2D, r));
      const z3 = tf.reshape(z, [b, 2, 4 * H]);
      const s = tf.sigmoid(tf.slice(z3, [0, 0, 0], [b, 2, 3 * H]));
      const g = tf.tanh(tf.slice(z3, [0, 0, 3 * H], [b, 2, H]));
      const ig = tf.mul(tf.slice(s, [0, 0, 0], [b, 2, H]), g);
      c = c ? tf.add(tf.mul(tf.slice(s, [0, 0, 2 * H], [b, 2, H]), c), ig) : ig;
      const tc = tf.tanh(c);
      h = tf.mul(tf.slice(s, [0, 0, H], [b, 2, H]), tc);
      gates.push(tf.concat([s, g], 2));
      cs.push(c);
      tcs.push(tc);
      hs.push(h);
    }
    const value = tf.stack(hs) as tf.Tensor4D; // [L, b, 2, H]
    saveFn([r, value, tf.stack(gates), tf.stack(cs), tf.stack(tcs)]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [rSaved, hAll, gAll, cAll, tcAll] = saved;
      // Everything that does not depend on the incoming gradient is computed for all steps at
      // once, so that each step of the backward loop is a handful of ops:
      //   dc_t = dh_t·A_t + dc_{t+1}·f_{t+1}     A = o·(1 − tanh²c)
      //   dz_t = [dc_t, dh_t, dc_t, dc_t] ⊙ P_t   P = [g·i(1−i), tanh c·o(1−o), c_{t−1}·f(1−f), i·(1−g²)]
      const part = (k: number) => tf.slice(gAll, [0, 0, 0, k * H], [L, b, 2, H]);
      const [i, o, f, g] = [part(0), part(1), part(2), part(3)];
      const cPrev = tf.concat([tf.zeros([1, b, 2, H]), tf.slice(cAll, [0, 0, 0, 0], [L - 1, b, 2, H])], 0);
      const A = tf.mul(o, tf.sub(1, tf.square(tcAll)));
      const P = tf.concat(
        [tf.mul(g, tf.mul(i, tf.sub(1, i))), tf.mul(tcAll, tf.mul(o, tf.sub(1, o))), tf.mul(cPrev, tf.mul(f, tf.sub(1, f))), tf.mul(i, tf.sub(1, tf.square(g)))],
        3,
      ); // [L, b, 2, 4H]
      const rT = tf.transpose(rSaved); // [8H, 2H], transposed once (transposed matMul operands are slow on wasm)
      const step = (x: tf.Tensor, t: number, width: number) => tf.reshape(tf.slice(x, [t, 0, 0, 0], [1, b, 2, width]), [b, 2, width]);
      const dzs: tf.Tensor[] = new Array(L);
      let dhNext: tf.Tensor | null = null;
      let dcNext: tf.Tensor | null = null;
      for (let t = L - 1; t >= 0; t--) {
        const dh: tf.Tensor = dhNext ? tf.add(step(dy, t, H), dhNext) : step(dy, t, H);
        const dcHere = tf.mul(dh, step(A, t, H));
        const dc: tf.Tensor = dcNext ? tf.add(dcHere, dcNext) : dcHere;
        const dz = tf.mul(tf.concat([dc, dh, dc, dc], 2), step(P, t, 4 * H));
        dzs[t] = dz;
        if (t > 0) {
          dcNext = tf.mul(dc, step(f, t, H));
          dhNext = tf.reshape(tf.matMul(tf.reshape(dz, [b, 8 * H]) as tf.Tensor2D, rT), [b, 2, H]);
        }
      }
      const dProj = tf.reshape(tf.stack(dzs), [L, b, 8 * H]);
      // dR = Σ_t h_{t−1}ᵀ dz_t, as one product over all steps (h_{−1} = 0 contributes nothing).
      if (L === 1) return [dProj, tf.zerosLike(rSaved)];
      const hPrev = tf.reshape(tf.slice(hAll, [0, 0, 0, 0], [L - 1, b, 2, H]), [(L - 1) * b, 2 * H]);
      const dzRest = tf.reshape(tf.slice(dProj, [1, 0, 0], [L - 1, b, 8 * H]), [(L - 1) * b, 8 * H]);
      return [dProj, tf.matMul(tf.transpose(hPrev), dzRest)];
    };
    return { value, gradFunc };
  });
  return op(proj, rBlock) as tf.Tensor4D;
}

/** Converts the named dense parameters to tensors (the caller disposes them, e.g. inside tf.tidy). */
export function paramTensors(weights: StudentWeights, names: string[]): tf.Tensor[] {
  return names.map((n) => tf.tensor(weights.params[n].data, weights.params[n].shape));
}

/** tfjs inputs of a batch for the forward pass. */
export function forwardInputs(weights: StudentWeights, batch: Batch, dropout?: Float32Array): ForwardInputs {
  const config = tfjsConfig(weights.config);
  const E = config.embeddingDim;
  const table = weights.params.embedding.data;
  const { size: b, len: L } = batch;
  const lstm = config.arch === 'bilstm';
  const inputs: ForwardInputs = {
    x: tf.tensor3d(lookupEmbeddings(table, E, batch, false, lstm), lstm ? [L, b, E] : [b, L, E]),
    mask: tf.tensor3d(paddingMask(batch), [b, L, 1]),
  };
  if (lstm) {
    inputs.xReversed = tf.tensor3d(lookupEmbeddings(table, E, batch, true, true), [L, b, E]);
    if (config.arch === 'bilstm' && config.layers > 1) inputs.reverseIdx = tf.tensor1d(reverseIndex(batch), 'int32');
  }
  if (dropout) inputs.dropout = tf.tensor2d(dropout, [b, featureDim(config)]);
  return inputs;
}

/**
 * Student probabilities for many texts (tfjs; the deployed path is ONNX, lib/ml/inference.ts).
 * Texts are scored in length-sorted batches so padding stays small; output rows keep input order.
 */
export function predictProbs(weights: StudentWeights, data: { offsets: Int32Array; tokens: Int32Array }, batchSize = 256): Float32Array {
  if (weights.config.arch === 'ngram') return predictNgramProbs(weights, data);
  const config = weights.config;
  const n = data.offsets.length - 1;
  const C = weights.numClasses;
  const order = sortedByLength(data.offsets, config.maxLen);
  const names = denseParamNames(config, weights.vocabSize, C);
  const out = new Float32Array(n * C);
  if (config.arch === 'bilstm' && config.layers === 1 && fusedKernelsAvailable()) {
    // The one-layer BiLSTM trains on the fused kernels: score with the same forward pass.
    for (let s = 0; s < n; s += batchSize) {
      const rows = order.subarray(s, Math.min(n, s + batchSize));
      const logits = fusedBiLstmLogits(weights, makeBatch(data.offsets, data.tokens, rows, config.maxLen));
      const probs = softmaxRows(logits, C);
      for (let i = 0; i < rows.length; i++) out.set(probs.subarray(i * C, i * C + C), rows[i] * C);
    }
    return out;
  }
  const params = paramTensors(weights, names);
  const byName = Object.fromEntries(names.map((nm, i) => [nm, params[i]]));
  try {
    for (let s = 0; s < n; s += batchSize) {
      const rows = order.subarray(s, Math.min(n, s + batchSize));
      const batch = makeBatch(data.offsets, data.tokens, rows, weights.config.maxLen);
      const probs = tf.tidy(() => {
        const inputs = forwardInputs(weights, batch);
        return tf.softmax(forwardLogits(config, inputs, byName)).dataSync() as Float32Array;
      });
      for (let i = 0; i < rows.length; i++) out.set(probs.subarray(i * C, i * C + C), rows[i] * C);
    }
  } finally {
    params.forEach((p) => p.dispose());
  }
  return out;
}

/** The config of a tfjs student (the n-gram student has its own forward pass, lib/ml/ngram-student.ts). */
function tfjsConfig(config: StudentConfig): TfjsStudentConfig {
  if (config.arch === 'ngram') throw new Error('the n-gram student is not a tfjs model');
  return config;
}

/** Example indices sorted by (truncated) length, stable. */
export function sortedByLength(offsets: Int32Array, maxLen: number): Int32Array {
  const n = offsets.length - 1;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const len = (i: number) => Math.min(offsets[i + 1] - offsets[i], maxLen);
  return order.sort((a, b) => len(a) - len(b) || a - b);
}
