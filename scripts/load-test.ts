/**
 * Load test of the predict API (loopback only, bounded): 50 concurrent clients for 30 s against
 * a production build (`npm run build` first), with a deploy of another model in the middle.
 * Exits 1 on any failed request. Usage: npm run load-test [-- --seconds 30 --clients 50 --texts 8]
 */
import { parseArgs } from '../lib/cli/args.ts';
import { deployOverHttp, runClients, startServingFixture } from '../bench/serving-fixture.ts';

const args = parseArgs(process.argv.slice(2));
const num = (k: string, d: number) => (typeof args.flags[k] === 'string' ? Number(args.flags[k]) : d);
const seconds = Math.min(120, num('seconds', 30));
const clients = Math.min(200, num('clients', 50));
const f = await startServingFixture({ port: num('port', 3292) });
try {
  const r = await runClients(f, { clients, seconds, textsPerRequest: num('texts', 8), midway: () => deployOverHttp(f, f.nextModelId) });
  console.log(JSON.stringify({ clients, seconds: Math.round(r.seconds * 10) / 10, requests: r.requests, items: r.items, errors: r.errors, items_per_s: r.itemsPerSecond, p50_ms: r.p50Ms, p99_ms: r.p99Ms, versions: r.versions, error_samples: r.errorSamples }));
  if (r.errors > 0 || Object.keys(r.versions).length < 2) process.exitCode = 1;
} finally {
  await f.stop();
}
