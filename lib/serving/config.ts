/** Serving settings, from the environment (see README "Configuration"). */
export interface ServingConfig {
  maxBatch: number;
  /**
   * Texts per onnxruntime call inside a micro-batch: the batch's texts are sorted by length and
   * scored in runs of this many, each padded to its own longest text. One call for a whole batch
   * of 256 unrelated texts padded them all to the longest (2.5× the CPU per item).
   */
  inferBatch: number;
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
    inferBatch: Math.max(1, num(env.SERVE_INFER_BATCH, 32)),
    maxWaitMs: num(env.SERVE_MAX_WAIT_MS, 2),
    concurrency: Math.max(1, num(env.SERVE_CONCURRENCY, 2)),
    // One onnxruntime thread. With a batch scored in length-sorted runs of `inferBatch` texts, a
    // second intra-op thread cost more CPU per item than it saved in wall time (infer bench's API
    // part, 2026-12-02 on the 2-core AMD VM: 0.42 against 0.67 ms of inference-thread CPU per
    // 32-text request, 45k against 31k items/s), and the cores it would use are the event loop's
    // and the clients'. (Before the runs, when a batch of 256 was one padded call, 2 won.)
    intraOpThreads: Math.max(1, num(env.SERVE_THREADS, 1)),
    maxQueue: num(env.SERVE_MAX_QUEUE, 20_000),
    cachedModels: Math.max(2, num(env.SERVE_CACHED_MODELS, 4)),
    inferenceThread,
  };
}
