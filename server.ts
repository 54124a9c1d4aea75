/**
 * The console's production server (`npm start`, the demo, the benchmarks): Next's request handler
 * behind a node:http server that answers the hot API calls itself (lib/http/fast.ts: next batch,
 * submit, predict) — through Next, such a call cost 2–3 ms of CPU in routing and web streams
 * before its own work. Everything else goes to Next unchanged.
 *   node_modules/.bin/tsx server.ts [-p 3000] [-H 127.0.0.1]     (or PORT)
 * `next start` still serves the console, without the fast path.
 */
// First: Next's process setup (AsyncLocalStorage on globalThis), which next/server's modules need when loaded.
import 'next/dist/server/node-environment.js';
import { createServer } from 'node:http';
import next from 'next';
import { securityHeaders } from './next.config.ts';
import { matchFast, serveFast } from './lib/http/fast.ts';
import { predictService } from './lib/serving/predict.ts';
import { getDb } from './lib/db/client.ts';

const argv = process.argv.slice(2);
const arg = (short: string, long: string) => {
  const i = argv.findIndex((a) => a === short || a === long);
  return i >= 0 ? argv[i + 1] : undefined;
};
const port = Number(arg('-p', '--port') ?? process.env.PORT ?? 3000);
// Not $HOSTNAME: shells set it to the machine's name. All interfaces, as `next start`.
const hostname = arg('-H', '--hostname') ?? '0.0.0.0';
(process.env as Record<string, string>).NODE_ENV = 'production';
// Inference on a worker thread per model: this process loads TypeScript, so it can start one.
process.env.SERVE_INFERENCE_THREAD ??= '1';

const app = next({ dev: false, hostname, port, dir: import.meta.dirname });
const handle = app.getRequestHandler();
await app.prepare();
// The process's one predict service (globalThis), made here so that it is this module copy's,
// with the configuration above, whichever route asks for it first.
predictService(await getDb());
const headers = Object.fromEntries(securityHeaders(false).map((h) => [h.key, h.value]));

const server = createServer((req, res) => {
  const fast = matchFast(req);
  if (fast) void serveFast(fast, req, res, { headers });
  else void handle(req, res);
});
server.listen(port, hostname, () => console.log(`▲ Distillery console on http://${hostname}:${port} (fast path on)`));
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
