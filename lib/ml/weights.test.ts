import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXTCNN } from './config.ts';
import { initWeights } from './model.ts';
import { Rng } from './rng.ts';
import { decodeWeights, encodeWeights } from './weights.ts';

describe('student weights file', () => {
  it('round-trips every parameter, also from an unaligned Buffer view', () => {
    const w = initWeights(DEFAULT_TEXTCNN, 50, 3, new Rng(1));
    const bytes = encodeWeights(w);
    // As read from disk: a Buffer that is a view at an odd offset of a larger pooled buffer.
    const pooled = Buffer.alloc(bytes.length + 3);
    pooled.set(bytes, 3);
    const back = decodeWeights(pooled.subarray(3));
    expect(back.config).toEqual(w.config);
    expect(Object.keys(back.params).sort()).toEqual(Object.keys(w.params).sort());
    for (const [name, t] of Object.entries(w.params)) {
      expect(back.params[name].shape).toEqual(t.shape);
      expect(Array.from(back.params[name].data)).toEqual(Array.from(t.data));
    }
  });
  it('refuses other files', () => {
    expect(() => decodeWeights(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a distillery weights file/);
  });
});
