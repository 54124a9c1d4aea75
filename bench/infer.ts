/**
 * Serving speed of a default-size student (`npm run bench -- infer`):
 *   infer_items_per_s  onnxruntime-node, batch 256, 2 threads, COLD test texts (tokenisation included)
 *   infer_p50_ms       one text per call (1 thread), tokenisation included
 *   api_items_per_s, api_p99_ms   the predict API over HTTP loopback on the production build,
 *                      50 clients for BENCH_API_SECONDS (default 15) s, micro-batched server side,
 *                      lean load generator (bench/raw-http.ts); api_http_client_*: then the same
 *                      on the node:http generator
 * The API part starts the console server (server.ts) on a throwaway database, building it first when stale.
 */
import { execFileSync } from 'node:child_process';
import { buildIsCurrent, markBuilt } from '../lib/demo/build.ts';
import { loadavg } from 'node:os';
import { DEFAULT_TEXTCNN } from '../lib/ml/config.ts';
import { readCold } from '../lib/datasets/cold.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { initWeights } from '../lib/ml/model.ts';
import { exportOnnx } from '../lib/ml/onnx.ts';
import { Rng } from '../lib/ml/rng.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';
import { runClients, startServingFixture } from './serving-fixture.ts';

export async function benchInfer(): Promise<Record<string, unknown>> {
  const load = loadavg()[0];
  const cold = await readCold();
  const texts = cold.filter((r) => r.split !== 'train').map((r) => r.text);
  const vocab = Vocab.build(cold.filter((r) => r.split === 'train').map((r) => r.text), { minFreq: 2 });
  const bytes = exportOnnx(initWeights(DEFAULT_TEXTCNN, vocab.size, 2, new Rng(1)), { vocab: vocab.toJSON() });

  const s2 = await OnnxStudent.load(bytes, { intraOpThreads: 2 });
  await s2.predict(texts.slice(0, 1000));
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await s2.predict(texts, { batchSize: 256 });
    best = Math.max(best, texts.length / ((performance.now() - t0) / 1000));
  }
  await s2.release();

  const s1 = await OnnxStudent.load(bytes, { intraOpThreads: 1 });
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = texts[i % texts.length];
    const t0 = performance.now();
    await s1.predict([t]);
    if (i >= 200) lat.push(performance.now() - t0);
  }
  await s1.release();
  lat.sort((a, b) => a - b);

  const clients = 50;
  const seconds = Number(process.env.BENCH_API_SECONDS || 15);
  const textsPerRequest = Number(process.env.BENCH_API_TEXTS || 32);
  // The API part needs the production build of these sources: built here when missing or stale.
  if (!buildIsCurrent(process.cwd())) {
    console.error('infer: building the console (next build)…');
    execFileSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    markBuilt(process.cwd());
  }
  const f = await startServingFixture({ port: Number(process.env.BENCH_API_PORT || 3291) });
  let api;
  let apiHttp;
  try {
    await runClients(f, { clients, seconds: 2, textsPerRequest, client: 'raw' }); // warm-up: sessions, JIT
    // The load generator shares the two cores with the server, so its own CPU is latency here too.
    // api_*: the lean generator (bench/raw-http.ts: one kept-alive socket per client, prebuilt
    // requests, every answer's status, JSON and result count checked), 0.11 ms of CPU per request;
    // api_http_client_*: the same clients on node:http (http-client.ts), 0.18-0.28 ms, the generator
    // of the figures before 2026-12-02 16:00.
    api = await runClients(f, { clients, seconds, textsPerRequest, client: 'raw' });
    apiHttp = await runClients(f, { clients, seconds, textsPerRequest, client: 'http' });
  } finally {
    await f.stop();
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    infer_items_per_s: Math.round(best),
    infer_p50_ms: r3(lat[Math.floor(lat.length / 2)]),
    infer_p99_ms: r3(lat[Math.floor(lat.length * 0.99)]),
    api_items_per_s: api?.itemsPerSecond ?? null,
    api_p99_ms: api?.p99Ms ?? null,
    api_p50_ms: api?.p50Ms ?? null,
    api_errors: api?.errors ?? null,
    api_server_cpu_ms_per_request: api?.serverCpuMsPerRequest ?? null,
    api_client_cpu_ms_per_request: api?.clientCpuMsPerRequest ?? null,
    api_p90_ms: api?.p90Ms ?? null,
    api_max_ms: api?.maxMs ?? null,
    api_http_client_items_per_s: apiHttp?.itemsPerSecond ?? null,
    api_http_client_p99_ms: apiHttp?.p99Ms ?? null,
    api_http_client_p50_ms: apiHttp?.p50Ms ?? null,
    api_http_client_errors: apiHttp?.errors ?? null,
    api_http_client_server_cpu_ms_per_request: apiHttp?.serverCpuMsPerRequest ?? null,
    api_http_client_client_cpu_ms_per_request: apiHttp?.clientCpuMsPerRequest ?? null,
    api: { clients, seconds, texts_per_request: textsPerRequest, requests: api?.requests ?? 0 },
    model: DEFAULT_TEXTCNN,
    items: texts.length,
    load_average_at_start: load,
  };
}
