import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { Rng } from './rng.ts';

/**
 * Every gradient override against the stock gradient on the `cpu` backend. The references are
 * computed before the overrides are registered (registration is global to the tfjs engine).
 */

type Case = { name: string; run: () => tf.Tensor[] };

function randn(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

function randIds(n: number, max: number, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  // Small vocabulary so that ids repeat: the gradient must add the rows of repeated ids.
  return tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(max)), 'int32');
}

/** Gradient of Σ f(inputs)·w (w random, so every output element matters) with respect to the inputs. */
function gradOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number): tf.Tensor[] {
  return tf.grads((...xs: tf.Tensor[]) => {
    const y = f(...xs);
    return tf.sum(tf.mul(y, randn(y.shape, seed)));
  })(inputs);
}

const cases: Case[] = [
  {
    name: 'GatherV2 axis 0 (embedding lookup, repeated ids)',
    run: () => {
      const table = randn([7, 5], 1);
      const ids = randIds(40, 7, 2);
      return gradOf((t) => tf.gather(t, ids), [table], 3);
    },
  },
  {
    name: 'GatherV2 axis 1 with 2-D indices',
    run: () => {
      const x = randn([3, 6, 4], 4);
      const ids = tf.reshape(randIds(10, 6, 5), [2, 5]);
      return gradOf((t) => tf.gather(t, ids, 1), [x], 6);
    },
  },
  ...[
    { k: 3, pad: 'valid' as const, len: 17 },
    { k: 4, pad: 'same' as const, len: 13 },
    { k: 1, pad: 'valid' as const, len: 9 },
  ].map(({ k, pad, len }) => ({
    name: `Conv1D k=${k} pad=${pad} (input and filter)`,
    run: () => {
      const x = randn([5, len, 6], 10 + k);
      const w = randn([k, 6, 8], 20 + k);
      return gradOf((a, b) => tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, 1, pad), [x, w], 30 + k);
    },
  })),
  {
    name: 'Conv2D 3x2 kernel, same padding',
    run: () => {
      const x = randn([2, 7, 6, 3], 40);
      const w = randn([3, 2, 3, 4], 41);
      return gradOf((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [x, w], 42);
    },
  },
  {
    name: 'Conv2D stride 2, valid',
    run: () => {
      const x = randn([2, 9, 8, 3], 43);
      const w = randn([3, 3, 3, 5], 44);
      return gradOf((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'valid'), [x, w], 45);
    },
  },
  {
    name: 'Conv2D explicit padding',
    run: () => {
      const x = randn([2, 6, 5, 2], 46);
      const w = randn([2, 3, 2, 3], 47);
      const pad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [1, 0],
        [2, 1],
        [0, 0],
      ];
      return gradOf((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad), [x, w], 48);
    },
  },
  ...([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const).map(([tA, tB]) => ({
    name: `MatMul transposeA=${tA} transposeB=${tB}`,
    run: () => {
      const a = randn(tA ? [7, 5] : [5, 7], 60);
      const b = randn(tB ? [3, 7] : [7, 3], 61);
      return gradOf((x, y) => tf.matMul(x, y, tA, tB), [a, b], 62);
    },
  })),
  {
    name: 'batched MatMul [2, m, k]·[2, k, n]',
    run: () => gradOf((x, y) => tf.matMul(x, y), [randn([2, 4, 6], 63), randn([2, 6, 3], 64)], 65),
  },
  {
    name: 'Max over time (axis 1 of [b, L, F])',
    run: () => gradOf((a) => tf.max(a, 1), [randn([4, 11, 6], 50)], 51),
  },
  {
    name: 'Max over two axes',
    run: () => gradOf((a) => tf.max(a, [0, 2]), [randn([3, 4, 5], 52)], 53),
  },
  {
    name: 'Max keepDims, last axis',
    run: () => gradOf((a) => tf.max(a, -1, true), [randn([6, 7], 54)], 55),
  },
  {
    name: 'Max over a single position (a batch of one-token texts)',
    run: () => gradOf((a) => tf.max(a, 1), [randn([5, 1, 6], 56)], 57),
  },
];

const reference = new Map<string, Float32Array[]>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const c of cases) reference.set(c.name, tf.tidy(() => c.run()).map((t) => t.dataSync().slice() as Float32Array));
  await initBackend('wasm'); // registers the overrides
});

describe('gradient overrides match the stock cpu gradients', () => {
  for (const backend of ['wasm', 'cpu']) {
    for (const c of cases) {
      it(`${c.name} on ${backend}`, async () => {
        await tf.setBackend(backend);
        const got = tf.tidy(() => c.run()).map((t) => t.dataSync().slice() as Float32Array);
        const want = reference.get(c.name)!;
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => {
          expect(g.length).toBe(want[i].length);
          let maxDiff = 0;
          let maxRef = 0;
          for (let j = 0; j < g.length; j++) {
            maxDiff = Math.max(maxDiff, Math.abs(g[j] - want[i][j]));
            maxRef = Math.max(maxRef, Math.abs(want[i][j]));
          }
          expect(maxRef).toBeGreaterThan(0.1); // the reference gradient is not trivially zero
          expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxRef));
        });
      });
    }
  }

  it('the wasm backend is active after init', async () => {
    expect(await initBackend()).toBe('wasm');
  });
});
