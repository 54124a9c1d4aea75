import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';

/**
 * An onnxruntime session on its own worker thread (ort-thread.mjs), with the one call
 * OnnxStudent needs: run(int64 ids [n, L]) → output data. onnxruntime-node's run() is synchronous
 * on the calling thread (it only defers to setImmediate), so a console scoring on its main thread
 * stopped its event loop for every batch: 0.86 of the 1.25 ms of main-thread CPU of a 32-text
 * predict request in the infer bench's profile.
 */
export class OrtThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void }>();

  /** Runs posted and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; data?: Float32Array; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.data ?? new Float32Array(0));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the inference thread exited')));
  }

  static async start(bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<OrtThread> {
    const worker = new Worker(new URL('./ort-thread.mjs', import.meta.url), { workerData: { bytes, options }, execArgv: [] }); // plain JS: no TypeScript loader (nor profiler flags) in the thread
    await new Promise<void>((resolve, reject) => {
      const exit = (code: number) => reject(new Error(`the inference thread exited (${code}) before loading the model`));
      worker.once('message', () => {
        // Only these two: Worker keeps internal listeners (removeAllListeners() would stop its messages).
        worker.off('error', reject).off('exit', exit);
        resolve();
      });
      worker.once('error', reject);
      worker.once('exit', exit);
    });
    return new OrtThread(worker);
  }

  run(input: string, output: string, ids: BigInt64Array, dims: [number, number]): Promise<Float32Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, input, output, ids, dims }, [ids.buffer as ArrayBuffer]);
    });
  }

  async release(): Promise<void> {
    const id = this.nextId++;
    await new Promise<void>((resolve) => {
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      this.worker.postMessage({ id, release: true });
    });
    await this.worker.terminate();
  }
}
