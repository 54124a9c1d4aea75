/**
 * A lean HTTP/1.1 client for the predict API's load generator (BENCH_CLIENT=raw): one kept-alive
 * TCP connection per client, requests written as prebuilt bytes, answers read by status line and
 * Content-Length. It does per request what the generator must (send, wait, check the status and
 * hand the body back whole for JSON parsing) without node:http's per-request objects, header
 * parsing into objects and stream machinery, which cost the generator ~0.2-0.3 ms of CPU per
 * request on cores it shares with the server it measures.
 * Not a general client: no chunked answers (the predict fast path always sends Content-Length),
 * no redirects, one request at a time per connection.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawConnection {
  private socket: Socket | null = null;
  private data: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly host: string, private readonly port: number) {}

  /** The request for `path` with these headers and body, as the bytes send() writes. */
  static request(method: string, host: string, path: string, headers: Record<string, string>, body: Buffer): Buffer {
    const head = [`${method} ${path} HTTP/1.1`, `host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${body.length}`, '', ''].join('\r\n');
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  /** Sends one prebuilt request and resolves with its answer (a new connection when the last one closed). */
  send(request: Buffer): Promise<RawAnswer> {
    if (this.waiter) return Promise.reject(new Error('one request at a time per connection'));
    const socket = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      socket.write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return; // an old connection's late bytes
      this.data = this.data.length ? Buffer.concat([this.data, chunk]) : chunk;
      this.parse();
    });
    const fail = (e: Error) => {
      if (this.socket !== null && this.socket !== socket) return; // an old connection closing: not this request's
      this.socket = null;
      const w = this.waiter;
      this.waiter = null;
      w?.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
    return socket;
  }

  private parse() {
    const end = this.data.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.data.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m || !(status >= 100)) {
      const w = this.waiter;
      this.waiter = null;
      this.close();
      w?.reject(new Error(`unreadable answer: ${head.slice(0, 120)}`));
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (this.data.length < total) return;
    const body = this.data.subarray(end + 4, total);
    this.data = this.data.subarray(total);
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    const w = this.waiter;
    this.waiter = null;
    w?.resolve({ status, body });
  }
}
