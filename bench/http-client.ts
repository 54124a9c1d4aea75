/**
 * The benchmarks' HTTP client: plain node:http on a keep-alive agent. The load generator shares
 * the machine's two cores with the server it measures; fetch (undici, WHATWG streams, an
 * AbortSignal per request) cost it several times what this does, CPU the server then lacked.
 * No Accept-Encoding is sent, so answers come back as they are (what curl does by default).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface Answer {
  status: number;
  ok: boolean;
  text: string;
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  try {
    return await once(url, init);
  } catch (e) {
    // The server closed an idle kept-alive connection as this request went out on it: sent again
    // once on a new connection (Node's documented remedy; every request the benches send is
    // idempotent: predict, queue/next, and submits keyed by clientId).
    if ((e as { reusedSocket?: boolean }).reusedSocket) return once(url, init);
    throw e;
  }
}

function once(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    if (init.body != null) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code;
      reject(Object.assign(e, { reusedSocket: req.reusedSocket && (code === 'ECONNRESET' || e.message === 'socket hang up') }));
    });
    req.end(init.body);
  });
}

/**
 * CPU time (user + system, all threads) a process and its descendants have used so far, in ms
 * (`next start` runs the server in a child process); null where /proc is missing.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) ms += processCpuMs(Number(child)) ?? 0;
    }
    return ms;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux build Node supports
