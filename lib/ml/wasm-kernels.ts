/**
 * Faster Slice / SplitV / Unpack kernels for the tfjs wasm backend.
 *
 * The stock wasm Slice kernel reads its input with `backend.readSync`, which copies the
 * *whole* input tensor out of the wasm heap before copying the slice: taking one time step of
 * a [L, b, 8H] tensor costs as much as copying all L steps (measured 3.7 ms for a 32k-float
 * slice of a 1.6M-float tensor), and SplitV / Unpack call it once per output, so splitting a
 * sequence into its L steps is O(L²). These replacements read through a view of the heap
 * (no copy) and copy only the slice, in contiguous runs.
 *
 * The view must be taken after the output is allocated: allocation can grow the wasm memory,
 * which detaches views of the old buffer.
 */
import * as tf from '@tensorflow/tfjs';

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  readSync(dataId: object): unknown;
}

/** Copies x[begin : begin + size] into a new tensor on the wasm heap. */
function sliceInto(x: TensorInfo, begin: number[], size: number[], backend: WasmBackend): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const outVals = backend.typedArrayFromHeap(out);
  if (outVals.length === 0) return out;
  const xVals = backend.typedArrayFromHeap(x);
  const rank = x.shape.length;
  if (rank === 0) {
    outVals[0] = xVals[0];
    return out;
  }
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= x.shape[d];
  }
  // Innermost dims taken whole merge with the first partial one into one contiguous run.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * strides[d];
  const outer = inner; // dims [0, inner) are iterated
  const idx = new Array<number>(outer).fill(0);
  let o = 0;
  for (;;) {
    let src = base;
    for (let d = 0; d < outer; d++) src += idx[d] * strides[d];
    outVals.set(xVals.subarray(src, src + run), o);
    o += run;
    let d = outer - 1;
    while (d >= 0 && ++idx[d] === size[d]) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

function parseSlice(x: TensorInfo, begin: number[] | number, size: number[] | number | undefined): [number[], number[]] {
  return tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, begin, size) as [number[], number[]];
}

let patched = false;

/** Replaces the wasm backend's Slice, SplitV and Unpack kernels (idempotent). */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  const replace = (kernelName: string, kernelFunc: (args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> }) => TensorInfo | TensorInfo[]) => {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };

  replace('Slice', ({ inputs: { x }, attrs, backend }) => {
    if (x.dtype === 'string') throw new Error('string Slice is not supported on wasm');
    const [begin, size] = parseSlice(x, attrs.begin as number[], attrs.size as number[]);
    return sliceInto(x, begin, size, backend);
  });

  replace('SplitV', ({ inputs: { x }, attrs, backend }) => {
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits as number | number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const part = sliceInto(x, [...begin], size, backend);
      begin[axis] += s;
      return part;
    });
  });

  replace('Unpack', ({ inputs: { value }, attrs, backend }) => {
    let axis = attrs.axis as number;
    if (axis < 0) axis += value.shape.length;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const begin = new Array<number>(value.shape.length).fill(0);
    const size = [...value.shape];
    size[axis] = 1;
    const outs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i;
      const part = sliceInto(value, begin, size, backend);
      outs.push({ dataId: part.dataId, dtype: part.dtype, shape: outShape });
    }
    return outs;
  });
}
