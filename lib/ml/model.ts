/**
 * The students: weight layout, initialisation and the tfjs forward pass.
 *
 * Weights live in plain Float32Arrays (`StudentWeights`), not in tf.Variables: the optimiser
 * (lib/ml/train.ts) updates them in JavaScript — a lazy Adam that only touches the embedding
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
 *     at the text's last real token, like ONNX's LSTM with sequence_lens); pooling masks padding.
 */
import { tf } from './backend.ts';
import type { BiLstmConfig, StudentConfig, TextCnnConfig } from './config.ts';
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
export function paramShapes(config: StudentConfig, vocabSize: number, numClasses: number): Array<[string, number[]]> {
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
export function featureDim(config: StudentConfig): number {
  return config.arch === 'textcnn' ? config.kernelSizes.length * config.filters : 4 * config.hiddenSize;
}

/** Fresh weights: Glorot-uniform matrices, zero biases (LSTM forget gate 1), PAD row zero. */
export function initWeights(config: StudentConfig, vocabSize: number, numClasses: number, rng: Rng): StudentWeights {
  if (vocabSize < 2) throw new Error('vocabSize must include PAD and OOV');
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
export function denseParamNames(config: StudentConfig, vocabSize: number, numClasses: number): string[] {
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

/** Embedding lookup in JS: [b·L·E] rows of the table (PAD row is zero). `reversed` lays each text out backwards, left-aligned. */
export function lookupEmbeddings(table: Float32Array, E: number, batch: Batch, reversed = false): Float32Array {
  const { size: b, len: L, ids, lengths } = batch;
  const out = new Float32Array(b * L * E);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    for (let t = 0; t < n; t++) {
      const id = ids[i * L + (reversed ? n - 1 - t : t)];
      if (id === PAD_ID) continue;
      out.set(table.subarray(id * E, id * E + E), (i * L + t) * E);
    }
  }
  return out;
}

/** Index map that reverses each text in place (positions past its length stay): an involution. */
export function reverseIndex(batch: Batch): Int32Array {
  const { size: b, len: L, lengths } = batch;
  const idx = new Int32Array(b * L);
  for (let i = 0; i < b; i++) {
    const n = lengths[i];
    for (let t = 0; t < L; t++) idx[i * L + t] = i * L + (t < n ? n - 1 - t : t);
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
  /** [b, L, E] embeddings in text order. */
  x: tf.Tensor3D;
  /** [b, L, E] embeddings of each text reversed (BiLSTM only). */
  xReversed?: tf.Tensor3D;
  /** [b·L] int32 reverse permutation (BiLSTM with > 1 layer). */
  reverseIdx?: tf.Tensor1D;
  /** [b, L, 1] 1 on real tokens, 0 on padding. */
  mask: tf.Tensor3D;
  /** [b, featureDim] inverted-dropout multipliers, absent at inference. */
  dropout?: tf.Tensor2D;
}

/** Student logits [b, C]. `params` are the dense parameters by name. */
export function forwardLogits(config: StudentConfig, inputs: ForwardInputs, params: Record<string, tf.Tensor>): tf.Tensor2D {
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
  const [b, L] = x.shape;
  const H = config.hiddenSize;
  // Both directions run as one batched recurrence over a leading direction axis of size 2.
  let layerIn = tf.stack([x, xReversed]) as tf.Tensor4D; // [2, b, L, in]
  let out: tf.Tensor4D | null = null;
  for (let l = 0; l < config.layers; l++) {
    const inDim = layerIn.shape[3];
    const W = params[`lstm${l}.W`] as tf.Tensor3D;
    const R = params[`lstm${l}.R`] as tf.Tensor3D;
    const bias = tf.reshape(params[`lstm${l}.b`], [2, 1, 4 * H]);
    const proj = tf.add(tf.matMul(tf.reshape(layerIn, [2, b * L, inDim]) as tf.Tensor3D, W), bias); // [2, b·L, 4H]
    const steps = tf.unstack(tf.transpose(tf.reshape(proj, [2, b, L, 4 * H]), [2, 0, 1, 3])); // L × [2, b, 4H]
    let h: tf.Tensor3D | null = null;
    let c: tf.Tensor3D | null = null;
    const hs: tf.Tensor3D[] = [];
    for (let t = 0; t < L; t++) {
      const z = h ? tf.add(steps[t], tf.matMul(h, R)) : steps[t];
      const gates = tf.sigmoid(tf.slice(z, [0, 0, 0], [2, b, 3 * H]));
      const g = tf.tanh(tf.slice(z, [0, 0, 3 * H], [2, b, H]));
      const i = tf.slice(gates, [0, 0, 0], [2, b, H]);
      const o = tf.slice(gates, [0, 0, H], [2, b, H]);
      const ig = tf.mul(i, g);
      if (c) {
        const f = tf.slice(gates, [0, 0, 2 * H], [2, b, H]);
        c = tf.add(tf.mul(f, c), ig) as tf.Tensor3D;
      } else c = ig as tf.Tensor3D;
      h = tf.mul(o, tf.tanh(c)) as tf.Tensor3D;
      hs.push(h);
    }
    out = tf.stack(hs, 2) as tf.Tensor4D; // [2, b, L, H], direction 1 in reversed order
    if (l + 1 < config.layers) {
      if (!reverseIdx) throw new Error('stacked BiLSTM forward needs reverseIdx');
      // Next layer input at position t: [fwd(t), bwd(t)] in text order, plus its reversed copy.
      const [fwd, bwd] = tf.unstack(out);
      const bwdAligned = tf.reshape(tf.gather(tf.reshape(bwd, [b * L, H]), reverseIdx), [b, L, H]);
      const aligned = tf.concat([fwd, bwdAligned], 2) as tf.Tensor3D;
      const alignedRev = tf.reshape(tf.gather(tf.reshape(aligned, [b * L, 2 * H]), reverseIdx), [b, L, 2 * H]);
      layerIn = tf.stack([aligned, alignedRev]) as tf.Tensor4D;
    }
  }
  // Pool each direction over its own valid positions (both are left-aligned, so one mask serves).
  const m = tf.expandDims(mask, 0); // [1, b, L, 1]
  const negInf = tf.mul(tf.sub(m, 1), 1e4);
  const maxed = tf.max(tf.add(out!, negInf), 2); // [2, b, H]
  const lengths = tf.sum(mask, 1); // [b, 1]
  const mean = tf.div(tf.sum(tf.mul(out!, m), 2), lengths); // [2, b, H]
  const [maxF, maxB] = tf.unstack(maxed);
  const [meanF, meanB] = tf.unstack(mean);
  return tf.concat([maxF, maxB, meanF, meanB], 1) as tf.Tensor2D;
}

/** Converts the named dense parameters to tensors (the caller disposes them, e.g. inside tf.tidy). */
export function paramTensors(weights: StudentWeights, names: string[]): tf.Tensor[] {
  return names.map((n) => tf.tensor(weights.params[n].data, weights.params[n].shape));
}

/** tfjs inputs of a batch for the forward pass. */
export function forwardInputs(weights: StudentWeights, batch: Batch, dropout?: Float32Array): ForwardInputs {
  const E = weights.config.embeddingDim;
  const table = weights.params.embedding.data;
  const { size: b, len: L } = batch;
  const inputs: ForwardInputs = {
    x: tf.tensor3d(lookupEmbeddings(table, E, batch), [b, L, E]),
    mask: tf.tensor3d(paddingMask(batch), [b, L, 1]),
  };
  if (weights.config.arch === 'bilstm') {
    inputs.xReversed = tf.tensor3d(lookupEmbeddings(table, E, batch, true), [b, L, E]);
    if (weights.config.layers > 1) inputs.reverseIdx = tf.tensor1d(reverseIndex(batch), 'int32');
  }
  if (dropout) inputs.dropout = tf.tensor2d(dropout, [b, featureDim(weights.config)]);
  return inputs;
}

/**
 * Student probabilities for many texts (tfjs; the deployed path is ONNX, lib/ml/inference.ts).
 * Texts are scored in length-sorted batches so padding stays small; output rows keep input order.
 */
export function predictProbs(weights: StudentWeights, data: { offsets: Int32Array; tokens: Int32Array }, batchSize = 256): Float32Array {
  const n = data.offsets.length - 1;
  const C = weights.numClasses;
  const order = sortedByLength(data.offsets, weights.config.maxLen);
  const names = denseParamNames(weights.config, weights.vocabSize, C);
  const out = new Float32Array(n * C);
  const params = paramTensors(weights, names);
  const byName = Object.fromEntries(names.map((nm, i) => [nm, params[i]]));
  try {
    for (let s = 0; s < n; s += batchSize) {
      const rows = order.subarray(s, Math.min(n, s + batchSize));
      const batch = makeBatch(data.offsets, data.tokens, rows, weights.config.maxLen);
      const probs = tf.tidy(() => {
        const inputs = forwardInputs(weights, batch);
        return tf.softmax(forwardLogits(weights.config, inputs, byName)).dataSync() as Float32Array;
      });
      for (let i = 0; i < rows.length; i++) out.set(probs.subarray(i * C, i * C + C), rows[i] * C);
    }
  } finally {
    params.forEach((p) => p.dispose());
  }
  return out;
}

/** Example indices sorted by (truncated) length, stable. */
export function sortedByLength(offsets: Int32Array, maxLen: number): Int32Array {
  const n = offsets.length - 1;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const len = (i: number) => Math.min(offsets[i + 1] - offsets[i], maxLen);
  return order.sort((a, b) => len(a) - len(b) || a - b);
}
