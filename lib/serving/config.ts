import { availableParallelism } from 'node:os';

/** Serving settings, from the environment (see README "Configuration"). */
export interface ServingConfig {
  maxBatch: number;
  maxWaitMs: number;
  /** Inference calls running at once across every deployed model of the process. */
  concurrency: number;
  /** onnxruntime threads inside one inference call. */
  intraOpThreads: number;
  maxQueue: number;
  /** Deployed models whose sessions stay loaded. */
  cachedModels: number;
  /** onnxruntime's run() on a worker thread per model instead of the event loop's thread (SERVE_INFERENCE_THREAD=1; server.ts turns it on). */
  inferenceThread: boolean;
}

const num = (v: string | undefined, d: number) => (v != null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d);

export function servingConfig(env: NodeJS.ProcessEnv = process.env): ServingConfig {
  const inferenceThread = env.SERVE_INFERENCE_THREAD === '1';
  return {
    maxBatch: num(env.SERVE_MAX_BATCH, 256),
    maxWaitMs: num(env.SERVE_MAX_WAIT_MS, 2),
    concurrency: Math.max(1, num(env.SERVE_CONCURRENCY, 2)),
    // On its own thread a batch may use both cores (50k against 38k items/s, p99 43 against 57 ms in
    // the infer bench's API part); on the event loop's thread one, or it would stall requests longer.
    intraOpThreads: Math.max(1, num(env.SERVE_THREADS, inferenceThread ? Math.min(2, availableParallelism()) : 1)),
    maxQueue: num(env.SERVE_MAX_QUEUE, 20_000),
    cachedModels: Math.max(2, num(env.SERVE_CACHED_MODELS, 4)),
    inferenceThread,
  };
}
