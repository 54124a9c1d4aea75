/**
 * Sums a V8 .cpuprofile (node --cpu-prof) by function and by module, self and inclusive time:
 *   npx tsx bench/cpuprofile.ts <file.cpuprofile> [--top 40] [--per N]
 * `--per N` also prints each row in ms per request for N requests (the infer bench's count).
 * `--last S` counts only the profile's last S seconds (the measured load, without start-up:
 * profile-api.ts stops the server as soon as its measured run ends).
 * Inclusive time counts a function once per sample even when it recurses.
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'))!;
const flag = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const top = flag('--top', 40);
const per = flag('--per', 0);
const last = flag('--last', 0);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const module = (url: string) => {
  if (!url) return '(native/vm)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1] + (m[1] === 'next' ? '/' + (url.match(/next\/dist\/([^/]+\/[^/]+)/)?.[1] ?? '') : '');
  if (url.startsWith('node:')) return url;
  const a = url.match(/\.next\/server\/(.*)/);
  return a ? '.next/server/' + a[1].replace(/\[[^\]]*\]/g, '[]').slice(0, 60) : url.replace(/^file:\/\/\/work\/[^/]+\//, '');
};
const fn = (n: Node) => `${n.callFrame.functionName || '(anon)'} ${module(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const selfFn = new Map<string, number>();
const inclFn = new Map<string, number>();
const selfMod = new Map<string, number>();
const inclMod = new Map<string, number>();
let total = 0;
// Sample i's time: startTime plus the deltas up to it (µs).
const times: number[] = [];
for (let i = 0, t = p.startTime; i < p.samples.length; i++) times.push((t += p.timeDeltas[i] ?? 0));
const from = last ? p.endTime - last * 1e6 : -Infinity;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
for (let i = 0; i < p.samples.length; i++) {
  if (times[i] < from) continue;
  const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // ms; the delta before the next sample is this sample's time
  let n = byId.get(p.samples[i])!;
  total += dt;
  add(selfFn, fn(n), dt);
  add(selfMod, module(n.callFrame.url), dt);
  const seenF = new Set<string>();
  const seenM = new Set<string>();
  for (;;) {
    const f = fn(n);
    const m = module(n.callFrame.url);
    if (!seenF.has(f)) (seenF.add(f), add(inclFn, f, dt));
    if (!seenM.has(m)) (seenM.add(m), add(inclMod, m, dt));
    const up = parent.get(n.id);
    if (up == null) break;
    n = byId.get(up)!;
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n== ${title} (total ${total.toFixed(0)} ms${per ? `, ${(total / per).toFixed(3)} ms per request` : ''})`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${v.toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%${per ? ` ${(v / per).toFixed(3).padStart(7)} ms/req` : ''}  ${k}`);
  }
};
show('self by module', selfMod);
show('inclusive by module', inclMod);
show('self by function', selfFn);
show('inclusive by function', inclFn);
