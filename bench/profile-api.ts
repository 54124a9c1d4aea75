/**
 * CPU profile of the console under the predict API load of the infer bench:
 *   npx tsx bench/profile-api.ts [--seconds 10] [--texts 32] [--clients 50] [--port 3493]
 * Starts the serving fixture with `node --cpu-prof` (written to /tmp/distillery-cpuprofile-<pid>/
 * when the server exits), runs the clients, stops the server gracefully and prints the
 * profile's files; sum one with `npx tsx bench/cpuprofile.ts <file> --per <requests>`.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../lib/cli/args.ts';
import { runClients, startServingFixture } from './serving-fixture.ts';

const args = parseArgs(process.argv.slice(2));
const num = (k: string, d: number) => (typeof args.flags[k] === 'string' ? Number(args.flags[k]) : d);
const dir = mkdtempSync(join(tmpdir(), 'distillery-cpuprofile-'));
const f = await startServingFixture({ port: num('port', 3493), nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const opts = { clients: num('clients', 50), textsPerRequest: num('texts', 32) };
await runClients(f, { ...opts, seconds: 2 });
const r = await runClients(f, { ...opts, seconds: num('seconds', 10) });
console.log(JSON.stringify({ requests: r.requests, items_per_s: r.itemsPerSecond, p50_ms: r.p50Ms, p99_ms: r.p99Ms, errors: r.errors, server_cpu_ms_per_request: r.serverCpuMsPerRequest }));
await f.stop({ graceMs: 15_000 });
console.log(readdirSync(dir).map((n) => join(dir, n)).join('\n'));
