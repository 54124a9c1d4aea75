/**
 * Export of a trained student to ONNX (opset 13), so that any serving stack — onnxruntime-node
 * here, onnxruntime-web in the browser, anything else a platform team runs — can score it.
 *
 * Graph contract:
 *   input  `input_ids` int64 [batch, seq]: token ids, right-padded with 0 (PAD);
 *   output `probs`     float [batch, C]:   class probabilities.
 * The padding mask is computed in the graph (ids ≠ 0), so a padded batch gives each text the
 * same probabilities as scoring it alone (see the padding notes in lib/ml/model.ts).
 *
 * The vocabulary and the student config travel in the model's metadata_props
 * (`distillery.vocab`, `distillery.config`, ...), so an exported .onnx file is self-contained.
 */
import onnxProto from 'onnx-proto';
import type { StudentWeights, TensorData } from './model.ts';
import type { FeatureVocabJSON } from './features.ts';
import type { NgramConfig, TextCnnConfig } from './config.ts';

const { onnx } = onnxProto;
type INode = InstanceType<typeof onnx.NodeProto> | Parameters<typeof onnx.NodeProto.create>[0];
type ITensor = Parameters<typeof onnx.TensorProto.create>[0];

export const OPSET = 13;
export const INPUT_NAME = 'input_ids';
export const OUTPUT_NAME = 'probs';
/** Metadata key of the model version its predictions carry (see lib/ml/predictor.ts). */
export const MODEL_VERSION_KEY = 'distillery.modelVersion';

export interface ExportOptions {
  /** Embedded as metadata `distillery.vocab` so that the model can score raw texts. */
  vocab?: FeatureVocabJSON;
  /** Embedded as metadata `distillery.modelVersion`: the version every prediction of this model carries. */
  modelVersion?: string;
  /** Free-form extra metadata (model card fields, round id, ...). */
  metadata?: Record<string, string>;
  /**
   * TextCNN only: export the first convolution folded into lookup tables (see `foldedTextCnnLogits`).
   * `'auto'` (default) folds when the tables fit in `FOLD_MAX_TABLE_BYTES`; `true` always, `false` never.
   */
  fold?: boolean | 'auto';
}

/** Serialises the student to ONNX bytes. */
export function exportOnnx(weights: StudentWeights, options: ExportOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const C = weights.numClasses;
  const cfg = weights.config;
  const P = weights.params;
  if (cfg.arch === 'ngram') {
    ngramLogits(g, weights);
    return encodeModel(g, weights, options);
  }

  if (cfg.arch === 'textcnn' && shouldFold(weights, options.fold)) {
    foldedTextCnnLogits(g, weights);
    return encodeModel(g, weights, options);
  }

  g.initializer('embedding', P.embedding);
  g.constInt64('zero_i64', [], [0]);
  // mask [B, L] float: 1 on tokens, 0 on padding.
  g.node('Equal', [INPUT_NAME, 'zero_i64'], ['is_pad']);
  g.node('Not', ['is_pad'], ['is_tok']);
  g.node('Cast', ['is_tok'], ['mask'], { to: onnx.TensorProto.DataType.FLOAT });
  g.node('Gather', ['embedding', INPUT_NAME], ['emb'], { axis: 0 }); // [B, L, E]

  let features: string;
  if (cfg.arch === 'textcnn') {
    g.node('Transpose', ['emb'], ['emb_bel'], { perm: [0, 2, 1] }); // [B, E, L]
    g.constInt64('axis1', [1], [1]);
    g.node('Unsqueeze', ['mask', 'axis1'], ['mask_b1l']); // [B, 1, L]
    const pooled: string[] = [];
    for (const k of cfg.kernelSizes) {
      const kernel = P[`conv${k}.kernel`]; // [k, E, F]
      g.initializer(`conv${k}.W`, { shape: [kernel.shape[2], kernel.shape[1], k], data: permute(kernel, [2, 1, 0]) });
      g.initializer(`conv${k}.b`, P[`conv${k}.bias`]);
      // Right-pad by k−1 zeros: every real token starts a window (the training-time layout).
      g.node('Conv', ['emb_bel', `conv${k}.W`, `conv${k}.b`], [`conv${k}`], { kernel_shape: [k], pads: [0, k - 1], strides: [1], dilations: [1] });
      g.node('Relu', [`conv${k}`], [`relu${k}`]);
      g.node('Mul', [`relu${k}`, 'mask_b1l'], [`masked${k}`]);
      g.node('ReduceMax', [`masked${k}`], [`pool${k}`], { axes: [2], keepdims: 0 }); // [B, F]
      pooled.push(`pool${k}`);
    }
    features = 'features';
    if (pooled.length === 1) g.node('Identity', pooled, [features]);
    else g.node('Concat', pooled, [features], { axis: 1 });
  } else {
    const H = cfg.hiddenSize;
    g.constInt64('axis1', [1], [1]);
    g.node('ReduceSum', ['mask', 'axis1'], ['len_f'], { keepdims: 0 }); // [B]
    g.node('Cast', ['len_f'], ['seq_lens'], { to: onnx.TensorProto.DataType.INT32 });
    g.node('Transpose', ['emb'], ['x0'], { perm: [1, 0, 2] }); // [L, B, E]
    g.constInt64('shape_00m1', [3], [0, 0, -1]);
    let x = 'x0';
    for (let l = 0; l < cfg.layers; l++) {
      const W = P[`lstm${l}.W`]; // [2, in, 4H]
      const R = P[`lstm${l}.R`]; // [2, H, 4H]
      const b = P[`lstm${l}.b`]; // [2, 4H]
      g.initializer(`lstm${l}.W_onnx`, { shape: [2, 4 * H, W.shape[1]], data: permute(W, [0, 2, 1]) });
      g.initializer(`lstm${l}.R_onnx`, { shape: [2, 4 * H, H], data: permute(R, [0, 2, 1]) });
      const B = new Float32Array(2 * 8 * H);
      for (let d = 0; d < 2; d++) B.set(b.data.subarray(d * 4 * H, (d + 1) * 4 * H), d * 8 * H); // Wb = b, Rb = 0
      g.initializer(`lstm${l}.B_onnx`, { shape: [2, 8 * H], data: B });
      g.node('LSTM', [x, `lstm${l}.W_onnx`, `lstm${l}.R_onnx`, `lstm${l}.B_onnx`, 'seq_lens'], [`y${l}`], {
        direction: 'bidirectional',
        hidden_size: H,
      }); // Y [L, 2, B, H]; zero past each sequence's length
      if (l + 1 < cfg.layers) {
        g.node('Transpose', [`y${l}`], [`y${l}_lbdh`], { perm: [0, 2, 1, 3] });
        g.node('Reshape', [`y${l}_lbdh`, 'shape_00m1'], [`x${l + 1}`]); // [L, B, 2H]
        x = `x${l + 1}`;
      }
    }
    const last = `y${cfg.layers - 1}`;
    g.node('Transpose', [last], ['y_bldh'], { perm: [2, 0, 1, 3] });
    g.node('Reshape', ['y_bldh', 'shape_00m1'], ['y_bl2h']); // [B, L, 2H] (fwd then bwd)
    g.constInt64('axis2', [1], [2]);
    g.node('Unsqueeze', ['mask', 'axis2'], ['mask_bl1']);
    g.constFloat('one', [], [1]);
    g.constFloat('big', [], [1e4]);
    g.node('Sub', ['mask_bl1', 'one'], ['mask_m1']);
    g.node('Mul', ['mask_m1', 'big'], ['neg_pad']);
    g.node('Add', ['y_bl2h', 'neg_pad'], ['y_for_max']);
    g.node('ReduceMax', ['y_for_max'], ['pool_max'], { axes: [1], keepdims: 0 }); // [B, 2H]
    g.node('Mul', ['y_bl2h', 'mask_bl1'], ['y_masked']);
    g.node('ReduceSum', ['y_masked', 'axis1'], ['y_sum'], { keepdims: 0 }); // [B, 2H]
    g.node('Unsqueeze', ['len_f', 'axis1'], ['len_b1']);
    g.node('Div', ['y_sum', 'len_b1'], ['pool_mean']);
    features = 'features';
    g.node('Concat', ['pool_max', 'pool_mean'], [features], { axis: 1 });
  }
  g.initializer('dense.W', P['dense.kernel']);
  g.initializer('dense.b', P['dense.bias']);
  g.node('Gemm', [features, 'dense.W', 'dense.b'], ['logits']);
  return encodeModel(g, weights, options);
}

/** Adds the softmax over `logits` and serialises the graph with the distillery metadata. */
function encodeModel(g: GraphBuilder, weights: StudentWeights, options: ExportOptions): Uint8Array {
  const cfg = weights.config;
  const C = weights.numClasses;
  g.node('Softmax', ['logits'], [OUTPUT_NAME], { axis: 1 });

  const metadata: Record<string, string> = {
    'distillery.format': 'distillery-student-onnx/1',
    'distillery.config': JSON.stringify(cfg),
    'distillery.numClasses': String(C),
    'distillery.vocabSize': String(weights.vocabSize),
    ...(options.vocab ? { 'distillery.vocab': JSON.stringify(options.vocab) } : {}),
    ...(options.modelVersion ? { [MODEL_VERSION_KEY]: options.modelVersion } : {}),
    ...(options.metadata ?? {}),
  };

  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'distillery',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: `distillery_${cfg.arch}`,
      node: g.nodes as never,
      initializer: g.initializers as never,
      input: [valueInfo(INPUT_NAME, onnx.TensorProto.DataType.INT64, ['batch', 'seq'])],
      output: [valueInfo(OUTPUT_NAME, onnx.TensorProto.DataType.FLOAT, ['batch', C])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The n-gram student (lib/ml/ngram-student.ts): ids [B, L] of a text's distinct n-grams → their
 * idf weights, L2-normalised per text (padding has idf 0) → the weighted sum of their rows →
 * + bias (linear), or → Gemm with the dense layer (bag; with a linear term, the kernel
 * [[W], [I]] / 2 and the heads' mean bias: the mean of both heads' logits). Output `logits` [B, C].
 */
function ngramLogits(g: GraphBuilder, weights: StudentWeights): void {
  const P = weights.params;
  g.initializer('embedding', P.embedding);
  g.initializer('idf', P.idf);
  g.node('Gather', ['embedding', INPUT_NAME], ['emb'], { axis: 0 }); // [B, L, D]
  g.node('Gather', ['idf', INPUT_NAME], ['w'], { axis: 0 }); // [B, L]
  g.node('Mul', ['w', 'w'], ['w2']);
  g.constInt64('axis1', [1], [1]);
  g.node('ReduceSum', ['w2', 'axis1'], ['ss'], { keepdims: 1 }); // [B, 1]
  g.node('Sqrt', ['ss'], ['norm']);
  g.constFloat('tiny', [], [1e-30]);
  g.node('Max', ['norm', 'tiny'], ['norm_safe']);
  g.node('Div', ['w', 'norm_safe'], ['v']); // [B, L]
  g.node('Unsqueeze', ['v', 'axis1'], ['v_b1l']); // [B, 1, L]
  g.node('MatMul', ['v_b1l', 'emb'], ['x_b1d']); // [B, 1, D]
  g.node('Squeeze', ['x_b1d', 'axis1'], ['x']); // [B, D]
  if (P['dense.kernel']) {
    const cfg = weights.config as NgramConfig;
    // A linear term: x's last C columns are the linear head's logits less its bias, so one Gemm
    // with [[W], [I]] / 2 ([D + C, C]) and the heads' biases' mean gives the mean of both heads.
    if (cfg.linear) {
      const C = weights.numClasses;
      const b = P['dense.bias'].data;
      g.initializer('dense.W', withIdentityBelow(P['dense.kernel'], C, 0.5));
      g.initializer('dense.b', { shape: [C], data: Float32Array.from({ length: C }, (_, k) => (b[k] + b[C + k]) / 2) });
    } else {
      g.initializer('dense.W', P['dense.kernel']);
      g.initializer('dense.b', P['dense.bias']);
    }
    const relu = (weights.config as NgramConfig).activation === 'relu';
    if (relu) g.node('Relu', ['x'], ['x_relu']);
    g.node('Gemm', [relu ? 'x_relu' : 'x', 'dense.W', 'dense.b'], ['logits']);
  } else {
    g.initializer('dense.b', P['dense.bias']);
    g.node('Add', ['x', 'dense.b'], ['logits']);
  }
}

/** scale · [[K], [I_C]]: the kernel K [D, C] with a C×C identity below it. */
function withIdentityBelow(K: TensorData, C: number, scale: number): TensorData {
  const D = K.shape[0];
  const data = new Float32Array((D + C) * C);
  for (let i = 0; i < K.data.length; i++) data[i] = K.data[i] * scale;
  for (let k = 0; k < C; k++) data[(D + k) * C + k] = scale;
  return { shape: [D + C, C], data };
}

/**
 * Folding bound: the TextCNN is exported folded only when its lookup tables take at most this
 * many bytes. The tables hold (Σ kernel sizes) × filters floats per vocabulary entry, against
 * embeddingDim for the embedding they replace (8× for the default E48, (1,2,3)×64 TextCNN:
 * 1.5 KiB a token, 6.7 MiB for COLD's 4.6k-token vocabulary). Past the bound (a 50k vocabulary
 * with 3×100 filters of widths 3/4/5 would need 229 MiB) the file, the download and every
 * loaded session would grow by that much, and the table rows a batch reads stop fitting in the
 * CPU caches, so the small unfolded graph is kept.
 */
export const FOLD_MAX_TABLE_BYTES = 64 * 1024 * 1024;

/** Bytes of the folded TextCNN's lookup tables (float32). */
export function foldedTableBytes(config: TextCnnConfig, vocabSize: number): number {
  const sumK = config.kernelSizes.reduce((a, k) => a + k, 0);
  return vocabSize * sumK * config.filters * 4;
}

function shouldFold(weights: StudentWeights, fold: ExportOptions['fold'] = 'auto'): boolean {
  if (weights.config.arch !== 'textcnn') return false;
  if (fold !== 'auto') return fold;
  return foldedTableBytes(weights.config, weights.vocabSize) <= FOLD_MAX_TABLE_BYTES;
}

/** Score a window that starts on padding can never beat: the max over time ignores it, as the unfolded graph's mask does. */
const PAD_WINDOW = -1e9;

/**
 * The table of one kernel offset: T[v] = embedding[v] · kernel[j] ([V, F]), so that the
 * convolution of width k at position t is Σ_{j<k} T_{k,j}[ids[t + j]] + bias.
 * Row PAD: the embedding's PAD row is zero, so a window reaching past a text's end adds 0 there
 * (the unfolded graph's zero right-padding); at offset 0, PAD marks a window that starts on
 * padding, which the unfolded graph zeroes after its ReLU: PAD_WINDOW keeps it out of the max.
 */
function foldTable(weights: StudentWeights, k: number, j: number): Float32Array {
  const emb = weights.params.embedding;
  const kernel = weights.params[`conv${k}.kernel`]; // [k, E, F]
  const [V, E] = emb.shape;
  const F = kernel.shape[2];
  const Wj = kernel.data.subarray(j * E * F, (j + 1) * E * F);
  const out = new Float32Array(V * F);
  // Four vocabulary rows at a time in float64 accumulators: each kernel weight is read once per four rows.
  const Wd = Float64Array.from(Wj);
  const acc = new Float64Array(4 * F);
  for (let v0 = 1; v0 < V; v0 += 4) {
    const n = Math.min(4, V - v0);
    acc.fill(0);
    for (let e = 0; e < E; e++) {
      const a0 = emb.data[v0 * E + e];
      const a1 = n > 1 ? emb.data[(v0 + 1) * E + e] : 0;
      const a2 = n > 2 ? emb.data[(v0 + 2) * E + e] : 0;
      const a3 = n > 3 ? emb.data[(v0 + 3) * E + e] : 0;
      const w = e * F;
      for (let f = 0; f < F; f++) {
        const x = Wd[w + f];
        acc[f] += a0 * x;
        acc[F + f] += a1 * x;
        acc[2 * F + f] += a2 * x;
        acc[3 * F + f] += a3 * x;
      }
    }
    out.set(n === 4 ? acc : acc.subarray(0, n * F), v0 * F);
  }
  if (j === 0) out.fill(PAD_WINDOW, 0, F);
  return out;
}

/**
 * TextCNN with its first convolution folded into lookup tables. The convolution is linear in the
 * one-hot tokens, so each (kernel k, offset j) pair is a gather from a [V, F] table (foldTable):
 *   ids → right-pad kmax−1, slice per offset j → Gather per table → Add over a kernel's offsets
 *   → ReduceMax over time → Concat → + bias → Relu → Gemm → (Softmax in encodeModel).
 * Bias and ReLU move after the max over time (max_t relu(x_t + b) = relu(max_t x_t + b)), and
 * the padding mask lives in the tables (PAD_WINDOW), so nothing runs per position besides the
 * gathers, the adds and the max. Same outputs as the unfolded graph, including texts shorter than
 * the widest kernel and all-padding rows (features 0, as the unfolded graph's mask gives).
 *
 * Layout: one [V, F] table per (kernel, offset), Σk tables in all. Measured against one
 * [V, K·F] table per offset with zero blocks for the narrower kernels (fewer gathers, 1.5× the
 * rows' bytes) and one stacked table gathered once with [B, L, kmax] indices then ReduceSum:
 * this one was the fastest on onnxruntime 1.30, 1 thread (numbers in lib/ml/README.md).
 */
function foldedTextCnnLogits(g: GraphBuilder, weights: StudentWeights): void {
  const cfg = weights.config as TextCnnConfig;
  const P = weights.params;
  const F = cfg.filters;
  const V = weights.vocabSize;
  const kmax = Math.max(...cfg.kernelSizes);

  // ids shifted by each offset j: shifted[j][b, t] = ids[b, t + j], PAD past the end.
  const shifted: string[] = [INPUT_NAME];
  if (kmax > 1) {
    g.constInt64('fold_pads', [4], [0, 0, 0, kmax - 1]);
    g.node('Pad', [INPUT_NAME, 'fold_pads'], ['ids_padded']); // [B, L + kmax − 1]
    g.constInt64('axis1', [1], [1]);
    for (let j = 1; j < kmax; j++) {
      g.constInt64(`fold_start${j}`, [1], [j]);
      g.constInt64(`fold_end${j}`, [1], [j < kmax - 1 ? j - (kmax - 1) : 2 ** 62]);
      g.node('Slice', ['ids_padded', `fold_start${j}`, `fold_end${j}`, 'axis1'], [`ids_shift${j}`]); // [B, L]
      shifted.push(`ids_shift${j}`);
    }
  }

  const pooled: string[] = [];
  const bias = new Float32Array(cfg.kernelSizes.length * F);
  cfg.kernelSizes.forEach((k, i) => {
    bias.set(P[`conv${k}.bias`].data, i * F);
    let acc = '';
    for (let j = 0; j < k; j++) {
      g.initializer(`fold${k}_${j}`, { shape: [V, F], data: foldTable(weights, k, j) });
      g.node('Gather', [`fold${k}_${j}`, shifted[j]], [`gather${k}_${j}`], { axis: 0 }); // [B, L, F]
      if (j === 0) acc = `gather${k}_0`;
      else {
        g.node('Add', [acc, `gather${k}_${j}`], [`conv${k}_${j}`]);
        acc = `conv${k}_${j}`;
      }
    }
    g.node('ReduceMax', [acc], [`pool${k}`], { axes: [1], keepdims: 0 }); // [B, F]
    pooled.push(`pool${k}`);
  });
  if (pooled.length === 1) g.node('Identity', pooled, ['pooled']);
  else g.node('Concat', pooled, ['pooled'], { axis: 1 });
  g.initializer('conv.bias', { shape: [bias.length], data: bias });
  g.node('Add', ['pooled', 'conv.bias'], ['pre_relu']);
  g.node('Relu', ['pre_relu'], ['features']);
  g.initializer('dense.W', P['dense.kernel']);
  g.initializer('dense.b', P['dense.bias']);
  g.node('Gemm', ['features', 'dense.W', 'dense.b'], ['logits']);
}

/** Reads the distillery metadata of an exported model. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

function valueInfo(name: string, elemType: number, dims: Array<string | number>) {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/** Permutes the axes of a row-major tensor. */
function permute(t: TensorData, perm: number[]): Float32Array {
  const shape = t.shape;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = strides(shape);
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += idx[a] * inStrides[perm[a]];
    out[o] = t.data[src];
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

type AttrValue = number | number[] | string;

class GraphBuilder {
  nodes: INode[] = [];
  initializers: ITensor[] = [];
  private count = 0;

  node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}): void {
    this.nodes.push({
      opType,
      input,
      output,
      name: `${opType}_${this.count++}`,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
  }

  initializer(name: string, t: TensorData): void {
    const data = t.data;
    this.initializers.push({
      name,
      dims: t.shape,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
  }

  constInt64(name: string, dims: number[], values: number[]): void {
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(raw.buffer) });
  }

  constFloat(name: string, dims: number[], values: number[]): void {
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(new Float32Array(values).buffer) });
  }
}

function attribute(name: string, v: AttrValue) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.INT, i: v };
}
