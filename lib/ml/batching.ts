/**
 * Length-bucketed batches: examples are shuffled, then sorted by length inside pools of
 * POOL_BATCHES batches and cut into batches, so a batch pads to a length close to its texts'.
 */
import type { Rng } from './rng.ts';

/** Batches per length-sorting pool: large enough to bucket well, small enough to keep batches diverse. */
const POOL_BATCHES = 50;

/**
 * The epoch's batches: a shuffle, then pools of POOL_BATCHES·batchSize examples sorted by
 * length and cut into batches, then the batch order shuffled (so that lengths do not follow
 * a saw-tooth through the epoch).
 */
export function epochBatches(offsets: Int32Array, maxLen: number, batchSize: number, rng: Rng): Int32Array[] {
  const n = offsets.length - 1;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  rng.shuffle(perm);
  const batches: Int32Array[] = [];
  const pool = batchSize * POOL_BATCHES;
  const keys = new Float64Array(pool);
  for (let s = 0; s < n; s += pool) {
    const chunk = perm.subarray(s, Math.min(n, s + pool));
    // Sort by (length, position in the shuffled chunk): deterministic without relying on sort stability.
    const order = Array.from({ length: chunk.length }, (_, i) => i);
    for (let i = 0; i < chunk.length; i++) keys[i] = Math.min(offsets[chunk[i] + 1] - offsets[chunk[i]], maxLen) * pool + i;
    order.sort((a, b) => keys[a] - keys[b]);
    for (let b = 0; b < order.length; b += batchSize) {
      const rows = new Int32Array(Math.min(batchSize, order.length - b));
      for (let i = 0; i < rows.length; i++) rows[i] = chunk[order[b + i]];
      batches.push(rows);
    }
  }
  rng.shuffle(batches);
  return batches;
}
