/** A copy of a typed array in a SharedArrayBuffer, for worker threads to read and write (ngram-parallel.ts, lstm-parallel.ts). */
export function sharedCopy<T extends Float32Array | Int32Array | Uint8Array>(a: T): T {
  const Ctor = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}
