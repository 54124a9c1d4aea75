/**
 * The stored form of a probability vector (TeacherPrediction.probs, StudentScore.probs):
 * float32, little-endian, one per label, as BLOB (SQLite) or BYTEA (PostgreSQL). Every place
 * that writes or reads those columns goes through this codec.
 */

/** Float32 little-endian bytes of a probability vector. */
export function encodeProbs(probs: ArrayLike<number>): Buffer<ArrayBuffer> {
  // Buffer.alloc, not allocUnsafe: a pooled Buffer is a view into a shared slab.
  const buf = Buffer.alloc(probs.length * 4);
  for (let i = 0; i < probs.length; i++) buf.writeFloatLE(probs[i], i * 4);
  return buf;
}

const scratch = Buffer.alloc(4 * 1024);

/** Hex of encodeProbs(probs), for SQL that decodes it (unhex / decode(…, 'hex')); allocates only the string. */
export function encodeProbsHex(probs: ArrayLike<number>): string {
  const buf = probs.length * 4 <= scratch.length ? scratch : Buffer.alloc(probs.length * 4);
  for (let i = 0; i < probs.length; i++) buf.writeFloatLE(probs[i], i * 4);
  return buf.toString('hex', 0, probs.length * 4);
}

/**
 * Decodes stored bytes into `out` at `offset` when they hold exactly `width` probabilities;
 * false (nothing written) otherwise, e.g. a row written for a different label set.
 */
export function decodeProbsInto(bytes: Uint8Array, width: number, out: Float32Array, offset: number): boolean {
  if (bytes.byteLength !== width * 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < width; i++) out[offset + i] = view.getFloat32(i * 4, true);
  return true;
}

/** Inverse of encodeProbs. */
export function decodeProbs(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(Math.floor(bytes.byteLength / 4));
  decodeProbsInto(bytes.subarray(0, out.length * 4), out.length, out, 0);
  return out;
}
