/**
 * The stored form of a student's trained weights (beside its ONNX export): a JSON header with
 * the config and parameter shapes, then the float32 data of every parameter in header order.
 * A round warm-starts from it (fine-tunes the previous student instead of starting anew).
 */
import type { StudentWeights } from './model.ts';

const MAGIC = 'DSTW1';

export function encodeWeights(w: StudentWeights): Uint8Array {
  const names = Object.keys(w.params).sort();
  const header = new TextEncoder().encode(JSON.stringify({ format: w.format, version: w.version, config: w.config, vocabSize: w.vocabSize, numClasses: w.numClasses, params: names.map((n) => [n, w.params[n].shape]) }));
  const floats = names.reduce((a, n) => a + w.params[n].data.length, 0);
  // magic, header length (u32), header, padding to 4 bytes, floats
  const headerEnd = MAGIC.length + 4 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const out = new Uint8Array(dataStart + floats * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  const data = new Float32Array(out.buffer, dataStart, floats);
  let at = 0;
  for (const n of names) {
    data.set(w.params[n].data, at);
    at += w.params[n].data.length;
  }
  return out;
}

export function decodeWeights(bytes: Uint8Array): StudentWeights {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw new Error('not a distillery weights file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(MAGIC.length, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len)));
  const dataStart = Math.ceil((MAGIC.length + 4 + len) / 4) * 4;
  // Copy out (Uint8Array's slice, not Buffer's view-returning one): the data may sit at an
  // offset that is not 4-aligned inside a larger pooled buffer.
  const all = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart).buffer);
  const params: StudentWeights['params'] = {};
  let at = 0;
  for (const [name, shape] of h.params as [string, number[]][]) {
    const size = shape.reduce((a, b) => a * b, 1);
    params[name] = { shape, data: all.slice(at, at + size) };
    at += size;
  }
  return { format: h.format, version: h.version, config: h.config, vocabSize: h.vocabSize, numClasses: h.numClasses, params };
}
