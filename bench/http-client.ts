/**
 * The benchmarks' HTTP client: plain node:http on a keep-alive agent. The load generator shares
 * the machine's two cores with the server it measures; fetch (undici, WHATWG streams, an
 * AbortSignal per request) cost it several times what this does, CPU the server then lacked.
 * No Accept-Encoding is sent, so answers come back as they are (what curl does by default).
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface Answer {
  status: number;
  ok: boolean;
  text: string;
}

export function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
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
    req.on('error', reject);
    req.end(init.body);
  });
}
