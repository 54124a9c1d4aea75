/**
 * CPU profile of the console under the predict API load of the infer bench:
 *   npx tsx bench/profile-api.ts [--seconds 10] [--texts 32] [--clients 50] [--port 3493] [--no-prof]
 * Starts the serving fixture with `node --cpu-prof` (written to /tmp/distillery-cpuprofile-<pid>/
 * when the server exits), runs the clients, stops the server gracefully and prints the
 * profile's files; sum one with `npx tsx bench/cpuprofile.ts <file> --per <requests> --last <seconds>`.
 * `--no-prof`: the same run without the profiler (the API part of the infer bench alone).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../lib/cli/args.ts';
import { runClients, startServingFixture } from './serving-fixture.ts';

const args = parseArgs(process.argv.slice(2));
const num = (k: string, d: number) => (typeof args.flags[k] === 'string' ? Number(args.flags[k]) : d);
const dir = mkdtempSync(join(tmpdir(), 'distillery-cpuprofile-'));
const prof = !args.flags['no-prof'];
// --node-args "…": extra flags for the server's node (e.g. --max-semi-space-size=32).
const extra = typeof args.flags['node-args'] === 'string' ? (args.flags['node-args'] as string).split(' ').filter(Boolean) : [];
const f = await startServingFixture({ port: num('port', 3493), nodeArgs: [...extra, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])] });
const opts = { clients: num('clients', 50), textsPerRequest: num('texts', 32) };
await runClients(f, { ...opts, seconds: 2 });
const t0 = threadCpuMs(f.server.pid!);
const m0 = machineCpu();
const r = await runClients(f, { ...opts, seconds: num('seconds', 10) });
const t1 = threadCpuMs(f.server.pid!);
const m1 = machineCpu();
// Cores busy on the whole machine during the run (the server, this process, the kernel's loopback work, anything else).
console.log(JSON.stringify({ machine_busy_cores: Math.round(((m1.busy - m0.busy) / ((m1.busy - m0.busy) + (m1.idle - m0.idle))) * 2 * 100) / 100, softirq_share: Math.round(((m1.softirq - m0.softirq) / (m1.busy - m0.busy)) * 100) / 100 }));
// The server's CPU per request by thread (main: the event loop; the inference thread and onnxruntime's pool threads).
const threads: Record<string, number> = {};
for (const [tid, { name, ms }] of t1) {
  const d = ms - (t0.get(tid)?.ms ?? 0);
  if (d > 0) threads[`${tid === f.server.pid ? 'main' : tid} ${name}`] = Math.round((d / r.requests) * 1000) / 1000;
}
console.log(JSON.stringify({ server_thread_cpu_ms_per_request: threads }));
console.log(JSON.stringify({ requests: r.requests, items_per_s: r.itemsPerSecond, p50_ms: r.p50Ms, p90_ms: r.p90Ms, p99_ms: r.p99Ms, max_ms: r.maxMs, errors: r.errors, server_cpu_ms_per_request: r.serverCpuMsPerRequest, client_cpu_ms_per_request: r.clientCpuMsPerRequest }));
await f.stop({ graceMs: 15_000 });
console.log(readdirSync(dir).map((n) => join(dir, n)).join('\n'));

/** CPU time (user + system, ms) of each thread of a process, with the thread's name. */
function threadCpuMs(pid: number): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ms: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** /proc/stat's first line: jiffies busy, idle, and in softirq (the loopback's TCP work) on all cores. */
function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { busy: f.reduce((a, b) => a + b, 0) - idle, idle, softirq: f[6] };
}
