import { describe, expect, it } from 'vitest';
import { decodeProbs, decodeProbsInto, encodeProbs, encodeProbsHex } from './probs.ts';

describe('encodeProbs', () => {
  it('stores float32 little-endian, one per label', () => {
    const buf = encodeProbs([0.25, 0.75]);
    expect(buf).toHaveLength(8);
    expect(buf.readFloatLE(0)).toBe(0.25);
    expect(buf.readFloatLE(4)).toBe(0.75);
    expect(Array.from(decodeProbs(buf))).toEqual([0.25, 0.75]);
    expect(decodeProbs(encodeProbs([0.1]))[0]).toBeCloseTo(0.1, 7);
  });
  it('decodes into a row of a matrix only when the width matches', () => {
    const out = new Float32Array(4);
    expect(decodeProbsInto(encodeProbs([0.5, 0.25]), 2, out, 2)).toBe(true);
    expect(Array.from(out)).toEqual([0, 0, 0.5, 0.25]);
    expect(decodeProbsInto(encodeProbs([1, 0, 0]), 2, out, 0)).toBe(false);
    expect(Array.from(out)).toEqual([0, 0, 0.5, 0.25]);
  });
  it('reads views at any offset and writes the same bytes as hex', () => {
    const bytes = Buffer.concat([Buffer.from([9]), encodeProbs([0.25, 0.75])]).subarray(1);
    expect(Array.from(decodeProbs(bytes))).toEqual([0.25, 0.75]);
    expect(encodeProbsHex([0.25, 0.75])).toBe(encodeProbs([0.25, 0.75]).toString('hex'));
  });
});
