/**
 * Splits a byte stream into physical lines without holding more than one chunk (plus one
 * unfinished line) in memory. Bytes are checked as UTF-8 with a fatal TextDecoder, so a line
 * with invalid bytes is reported by number instead of being silently patched with U+FFFD.
 * Splitting on the byte 0x0A is safe in UTF-8: it never occurs inside a multi-byte character.
 */

export type LineProblem = 'utf8' | 'tooLong' | null;

/** Receives each line (without its '\n'; a '\r' before it is kept), its 1-based number, and a problem. */
export type LineSink = (text: string, line: number, problem: LineProblem) => void;

/** Lines longer than this are reported, not buffered: a file without newlines must not fill memory. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NL = 0x0a;

export class LineSplitter {
  private readonly fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private head: Uint8Array | null = new Uint8Array(0);
  private skippingLongLine = false;
  /** Number of the next line to be emitted. */
  private nextLine = 1;
  /** Bytes consumed so far (for progress). */
  bytes = 0;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /** Lines emitted so far. */
  get lines(): number {
    return this.nextLine - 1;
  }

  push(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.head) {
      // Hold back the first bytes until we know whether they are a byte-order mark.
      const joined = concat([this.head, chunk]);
      if (joined.byteLength < 3) {
        this.head = joined;
        return;
      }
      this.head = null;
      chunk = joined[0] === 0xef && joined[1] === 0xbb && joined[2] === 0xbf ? joined.subarray(3) : joined;
    }
    let start = 0;
    if (this.skippingLongLine) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) return;
      this.skippingLongLine = false;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last < start) {
      this.hold(chunk.subarray(start));
      return;
    }
    if (this.pendingBytes > 0) {
      const first = chunk.indexOf(NL, start);
      this.pending.push(chunk.subarray(start, first));
      this.emitOne(concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
      start = first + 1;
    }
    if (last >= start) this.emitRegion(chunk.subarray(start, last + 1));
    if (last + 1 < chunk.byteLength) this.hold(chunk.subarray(last + 1));
  }

  /** Emits the last line when the stream does not end with a newline. */
  end(): void {
    if (this.head && this.head.byteLength > 0) {
      const h = this.head;
      this.head = null;
      this.bytes -= h.byteLength;
      this.push(h);
    }
    this.head = null;
    if (this.pendingBytes > 0) this.emitOne(concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private hold(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    // Copy: the stream may reuse its chunk buffers.
    this.pending.push(Uint8Array.prototype.slice.call(bytes));
    this.pendingBytes += bytes.byteLength;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skippingLongLine = true;
      this.sink('', this.nextLine++, 'tooLong');
    }
  }

  /** A run of complete lines, each ending with '\n'. */
  private emitRegion(region: Uint8Array): void {
    let text: string;
    try {
      text = this.fatal.decode(region);
    } catch {
      // Some line in the region is not UTF-8: find which, one line at a time.
      let pos = 0;
      while (pos < region.byteLength) {
        const nl = region.indexOf(NL, pos);
        this.emitOne(region.subarray(pos, nl));
        pos = nl + 1;
      }
      return;
    }
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl === -1) break;
      this.sink(text.slice(pos, nl), this.nextLine++, null);
      pos = nl + 1;
    }
  }

  private emitOne(bytes: Uint8Array): void {
    const line = this.nextLine++;
    let text: string;
    let problem: LineProblem = null;
    try {
      text = this.fatal.decode(bytes);
    } catch {
      text = this.lenient.decode(bytes);
      problem = 'utf8';
    }
    this.sink(text, line, problem);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  return Buffer.concat(parts);
}
