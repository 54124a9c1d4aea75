/**
 * Gradient overrides that make training work (and fast) on the tfjs wasm backend.
 *
 * The wasm backend ships forward kernels only for a subset of ops. The stock gradients of
 * GatherV2 (UnsortedSegmentSum) and Conv2D (Conv2DBackpropFilter) call kernels it does not
 * have, so training an embedding or a convolution throws. Each override below expresses the
 * same gradient with kernels the wasm backend does have (ScatterNd, MatMul, Conv2D, ArgMax,
 * OneHot, StridedSlice, Pad). Max and BatchMatMul work with the stock gradients but are
 * overridden for speed. `lib/ml/gradients.test.ts` checks every one against the stock
 * gradients of the `cpu` backend.
 *
 * Registering is global to the tfjs engine (gradients are looked up by kernel name, not by
 * backend), which is fine: the overrides are exact on every backend.
 */
import * as tf from '@tensorflow/tfjs';

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Record<string, unknown>) => Record<string, () => tf.Tensor>;

/**
 * Embedding gradient: the rows of dy added into a zero table at the gathered indices.
 * `scatterND` accumulates duplicate indices, which is exactly the sum an embedding row needs
 * when a token occurs several times in a batch.
 */
export const gatherGradient: GradFunc = (dy, saved, attrs) => {
  const [x, indices] = saved;
  const grad = dy as tf.Tensor;
  const axis = normaliseAxis(attrs.axis as number, x.rank);
  const batchDims = (attrs.batchDims as number | undefined) ?? 0;
  if (batchDims !== 0) throw new Error('GatherV2 gradient override supports batchDims = 0 only');
  return {
    x: () =>
      tf.tidy(() => {
        // Move the gathered axis to the front so that scatterND writes whole slices.
        // dy has shape x.shape[:axis] + indices.shape + x.shape[axis+1:].
        const outer = x.shape.slice(0, axis);
        const inner = x.shape.slice(axis + 1);
        const m = indices.size;
        const values = tf.reshape(grad, [...outer, m, ...inner]);
        const toFront = [outer.length, ...range(0, outer.length), ...range(outer.length + 1, outer.length + 1 + inner.length)];
        const frontValues = tf.transpose(values, toFront);
        const frontShape = [x.shape[axis], ...outer, ...inner];
        const scattered = tf.scatterND(tf.reshape(tf.cast(indices, 'int32'), [m, 1]), frontValues, frontShape);
        return tf.transpose(scattered, inversePermutation(toFront));
      }),
    indices: () => tf.zerosLike(indices),
  };
};

/**
 * Conv2D gradients (tf.conv1d is a Conv2D with height 1, so this covers Conv1D too).
 *
 * Filter gradient: for each kernel offset (i, j), the input window that the offset sees over
 * all output positions is a strided slice of the padded input; its transposed product with dy
 * is that offset's [inChannels, outChannels] gradient. kh·kw matmuls instead of the missing
 * Conv2DBackpropFilter kernel.
 *
 * Input gradient (stride 1): a forward convolution of dy, padded so that every input position
 * sees every output that used it, with the spatially flipped filter whose in/out channels are
 * swapped. The forward Conv2D kernel is XNNPACK-backed, hence fast. Strided convolutions fall
 * back to the Conv2DBackpropInput kernel, which the wasm backend has.
 */
export const conv2dGradient: GradFunc = (dy, saved, attrs) => {
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const grad = dy as tf.Tensor4D;
  const strides = attrs.strides as number | [number, number];
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  const pad = attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  const dimRoundingMode = attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
  const dataFormat = (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') throw new Error('Conv2D gradient override supports NHWC only');
  const [sh, sw] = pair(strides);
  const [dh, dw] = pair(dilations);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, [sh, sw], [dh, dw], pad, dimRoundingMode, false, 'channelsLast');
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw, cin, cout] = filter.shape;
  const [batch, inH, inW] = x.shape;
  const { outHeight, outWidth } = info;

  return {
    x: () =>
      tf.tidy(() => {
        if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1) {
          return tf.conv2dTranspose(grad, filter, x.shape, [sh, sw], pad === 'same' || pad === 'valid' ? pad : explicitPad(top, bottom, left, right), dimRoundingMode);
        }
        // Full correlation: pad dy by (k-1-pad_before) in front and enough at the end to get back the input size.
        const padTop = kh - 1 - top;
        const padLeft = kw - 1 - left;
        const padBottom = inH + kh - 1 - outHeight - padTop;
        const padRight = inW + kw - 1 - outWidth - padLeft;
        const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
        const dyCropped = cropNegative(grad, padTop, padBottom, padLeft, padRight);
        return tf.conv2d(dyCropped.tensor, flipped, 1, explicitPad(dyCropped.top, dyCropped.bottom, dyCropped.left, dyCropped.right));
      }),
    filter: () =>
      tf.tidy(() => {
        const xPadded = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
        if (sh === 1 && sw === 1) {
          // dW[i,j,c,f] = sum_{b,oh,ow} xPad[b, oh + i*dh, ow + j*dw, c] * dy[b, oh, ow, f]: a
          // convolution of the input (channels as batch, batch as channels) with dy as the
          // filter, strided by the forward dilation. One XNNPACK conv instead of kh*kw matmuls
          // (the wasm matMul with a transposed operand is several times slower).
          const xT = tf.transpose(xPadded, [3, 1, 2, 0]) as tf.Tensor4D; // [cin, H, W, batch]
          const dyT = tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D; // [outH, outW, batch, cout]
          const full = tf.conv2d(xT, dyT, [dh, dw], 'valid'); // [cin, >=kh, >=kw, cout]
          const exact = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]);
          return tf.transpose(exact, [1, 2, 0, 3]);
        }
        const dyFlat = tf.reshape(grad, [batch * outHeight * outWidth, cout]);
        const offsets: tf.Tensor2D[] = [];
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const window = tf.stridedSlice(
              xPadded,
              [0, i * dh, j * dw, 0],
              [batch, i * dh + (outHeight - 1) * sh + 1, j * dw + (outWidth - 1) * sw + 1, cin],
              [1, sh, sw, 1],
            );
            // Transposing first and multiplying plainly beats matMul(transposeA) on wasm.
            offsets.push(tf.matMul(tf.transpose(tf.reshape(window, [batch * outHeight * outWidth, cin])), dyFlat));
          }
        }
        return tf.reshape(tf.stack(offsets), [kh, kw, cin, cout]);
      }),
  };
};

/**
 * Max gradient: dy flows to the position of the (first) maximum only. The stock gradient
 * (equal(x, max)) spreads it over ties, which after a ReLU are common (all zeros) and cost
 * an extra full-size compare; argMax + oneHot is exact for the max we actually used.
 */
export const maxGradient: GradFunc = (dy, saved, attrs) => {
  const [x] = saved;
  const grad = dy as tf.Tensor;
  const axes = normaliseAxes(attrs.reductionIndices as number | number[], x.rank);
  return {
    x: () =>
      tf.tidy(() => {
        const kept = range(0, x.rank).filter((a) => !axes.includes(a));
        const perm = [...kept, ...axes];
        const keptShape = kept.map((a) => x.shape[a]);
        const reducedSize = axes.reduce((p, a) => p * x.shape[a], 1);
        const outer = keptShape.reduce((p, s) => p * s, 1);
        const flat = tf.reshape(tf.transpose(x, perm), [outer, reducedSize]);
        // int32 oneHot then cast: the wasm OneHot kernel returns all zeros when asked for float32.
        // A max over one position (a batch of one-token texts) passes dy straight through: oneHot rejects depth 1.
        const winner = reducedSize === 1 ? tf.ones([outer, 1]) : tf.cast(tf.oneHot(tf.argMax(flat, 1), reducedSize), 'float32');
        const spread = tf.mul(winner, tf.reshape(grad, [outer, 1]));
        const unflat = tf.reshape(spread, [...keptShape, ...axes.map((a) => x.shape[a])]);
        return tf.transpose(unflat, inversePermutation(perm));
      }),
  };
};

/**
 * MatMul gradient with the transposes made explicit. The stock gradient multiplies with
 * transposeA/transposeB flags, and the wasm BatchMatMul kernel is 3-4× slower on a transposed
 * operand than a Transpose followed by a plain product (measured: 25 ms vs 7.7 ms for the
 * [64, 2560]·[2560, 64] filter gradient of a TextCNN batch).
 */
export const batchMatMulGradient: GradFunc = (dy, saved, attrs) => {
  const [a, b] = saved;
  const grad = dy as tf.Tensor;
  const tA = attrs.transposeA as boolean;
  const tB = attrs.transposeB as boolean;
  const mm = (x: tf.Tensor, y: tf.Tensor, transX: boolean, transY: boolean) => tf.matMul(transX ? lastTwoSwapped(x) : x, transY ? lastTwoSwapped(y) : y);
  if (!tA && !tB) return { a: () => mm(grad, b, false, true), b: () => mm(a, grad, true, false) };
  if (!tA && tB) return { a: () => mm(grad, b, false, false), b: () => mm(grad, a, true, false) };
  if (tA && !tB) return { a: () => mm(b, grad, false, true), b: () => mm(a, grad, false, false) };
  return { a: () => mm(b, grad, true, true), b: () => mm(grad, a, true, true) };
};

function lastTwoSwapped(x: tf.Tensor): tf.Tensor {
  const perm = range(0, x.rank);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

const OVERRIDES: Array<{ kernelName: string; inputsToSave: string[]; gradFunc: GradFunc }> = [
  { kernelName: 'GatherV2', inputsToSave: ['x', 'indices'], gradFunc: gatherGradient },
  { kernelName: 'Conv2D', inputsToSave: ['x', 'filter'], gradFunc: conv2dGradient },
  { kernelName: 'Max', inputsToSave: ['x'], gradFunc: maxGradient },
  { kernelName: 'BatchMatMul', inputsToSave: ['a', 'b'], gradFunc: batchMatMulGradient },
];

let registered = false;

/** Registers the overrides with the tfjs engine (idempotent). */
export function registerGradientOverrides(): void {
  if (registered) return;
  for (const o of OVERRIDES) tf.registerGradient(o as unknown as tf.GradConfig);
  registered = true;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Negative "padding" means cropping; conv2d only accepts non-negative pads. */
function cropNegative(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number) {
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  const tensor =
    cropTop || cropBottom || cropLeft || cropRight
      ? tf.slice(t, [0, cropTop, cropLeft, 0], [t.shape[0], t.shape[1] - cropTop - cropBottom, t.shape[2] - cropLeft - cropRight, t.shape[3]])
      : t;
  return { tensor, top: Math.max(0, top), bottom: Math.max(0, bottom), left: Math.max(0, left), right: Math.max(0, right) };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function inversePermutation(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function normaliseAxes(axes: number | number[], rank: number): number[] {
  const list = Array.isArray(axes) ? axes : [axes];
  return [...new Set(list.map((a) => normaliseAxis(a, rank)))].sort((a, b) => a - b);
}
