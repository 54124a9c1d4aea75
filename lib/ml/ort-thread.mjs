// The worker thread behind OnnxStudent's `thread` option (inference.ts): one onnxruntime-node
// session whose synchronous run() blocks this thread instead of the caller's event loop.
// Plain JavaScript so that any Node process can start it, TypeScript loader or not.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const session = await ort.InferenceSession.create(workerData.bytes, workerData.options);
parentPort.postMessage({ ready: true });
parentPort.on('message', async (m) => {
  if (m.release) {
    await session.release();
    parentPort.postMessage({ id: m.id });
    return;
  }
  try {
    const out = (await session.run({ [m.input]: new ort.Tensor('int64', m.ids, m.dims) }))[m.output];
    const data = new Float32Array(out.data); // a copy: onnxruntime's output buffer cannot be transferred
    out.dispose?.();
    parentPort.postMessage({ id: m.id, data }, [data.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e?.message ?? e) });
  }
});
