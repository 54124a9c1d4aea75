/** Row-wise helpers over row-major n×C Float32Arrays (probabilities, logits). */

/** Row-wise softmax of `logits / temperature`, numerically stable. */
export function softmaxRows(logits: Float32Array, numClasses: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  const n = logits.length / numClasses;
  for (let i = 0; i < n; i++) {
    const o = i * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[o + c]);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const e = Math.exp((logits[o + c] - max) / temperature);
      out[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < numClasses; c++) out[o + c] /= sum;
  }
  return out;
}

/** Index of the largest value of each row (first one on ties). */
export function argmaxRows(values: Float32Array, numClasses: number): Int32Array {
  const n = values.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * numClasses;
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (values[o + c] > values[o + best]) best = c;
    out[i] = best;
  }
  return out;
}

export function assertRows(values: Float32Array, numClasses: number, what: string): number {
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`numClasses must be an integer >= 2 (got ${numClasses})`);
  if (values.length % numClasses !== 0) throw new Error(`${what}: length ${values.length} is not a multiple of ${numClasses} classes`);
  return values.length / numClasses;
}
