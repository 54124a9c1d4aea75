import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { Rng } from './rng.ts';

/** The patched wasm Slice / SplitV / Unpack kernels against the cpu backend. */

const cases: Array<{ name: string; run: () => tf.Tensor[] }> = [];
const shapes: number[][] = [[7], [5, 6], [4, 3, 5], [3, 4, 2, 5], [2, 3, 2, 3, 4]];
for (const shape of shapes) {
  cases.push({
    name: `slice rank ${shape.length} (contiguous, strided, whole)`,
    run: () => {
      const x = data(shape, 1);
      const begin = shape.map((s) => Math.min(1, s - 1));
      const size = shape.map((s, d) => (d === shape.length - 1 ? s - begin[d] : Math.max(1, s - 2)));
      return [
        tf.slice(x, begin, size),
        tf.slice(x, shape.map(() => 0), shape),
        tf.slice(x, [shape[0] - 1], [1]), // one outer row: a contiguous block
        tf.slice(x, begin, shape.map((_, d) => (d === 0 ? 1 : -1))),
      ];
    },
  });
}
cases.push({ name: 'int32 slice', run: () => [tf.slice(tf.cast(data([4, 6], 2), 'int32'), [1, 2], [2, 3])] });
cases.push({ name: 'split along each axis', run: () => [0, 1, 2].flatMap((a) => tf.split(data([4, 6, 3], 3), a === 1 ? [1, 2, 3] : a === 0 ? 2 : 3, a)) });
cases.push({ name: 'unstack along each axis', run: () => [0, 1, 2].flatMap((a) => tf.unstack(data([3, 4, 2], 4), a)) });

function data(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => Math.round(rng.normal() * 100)), shape);
}

const reference = new Map<string, { shape: number[]; values: number[] }[]>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const c of cases) reference.set(c.name, tf.tidy(() => c.run()).map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) })));
  await initBackend('wasm');
  await tf.setBackend('wasm');
});

describe('patched wasm kernels', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = tf.tidy(() => c.run()).map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
      expect(got).toEqual(reference.get(c.name));
    });
  }

  it('slicing one step of a long sequence does not cost a copy of the whole tensor', () => {
    const big = tf.zeros([400, 64, 512]); // 13M floats
    const small = tf.zeros([4, 64, 512]);
    const time = (x: tf.Tensor) => {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) tf.slice(x, [1, 0, 0], [1, 64, 512]).dispose();
      return performance.now() - t0;
    };
    time(small);
    // With the stock kernel the big slice is ~100× slower (it copies all 400 steps).
    expect(time(big)).toBeLessThan(time(small) * 5 + 20);
    big.dispose();
    small.dispose();
  });
});
