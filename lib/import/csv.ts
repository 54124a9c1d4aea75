/**
 * An RFC 4180 CSV reader fed one physical line at a time (see lines.ts), so a file of any size
 * is read in bounded memory. The first record is the header and fixes the column count.
 * Quoted fields may span lines; a record is reported with the line it starts on.
 *
 * Broken quoting is reported precisely (unterminated quote, quote inside an unquoted field,
 * text after a closing quote). When a record that spans several lines turns out to be broken,
 * the reader re-reads the lines after its first line as fresh records: one stray quote then
 * costs one row, not every row up to the next quote in the file.
 */

import { MAX_LINE_BYTES, type LineProblem } from './lines.ts';

export interface CsvHandlers {
  header(fields: string[], line: number): void;
  record(fields: string[], line: number): void;
  error(line: number, reason: string): void;
}

/** A quoted field longer than this is taken to be an unterminated quote. */
export const MAX_RECORD_BYTES = 1024 * 1024;

interface HeldLine {
  text: string;
  line: number;
  problem: LineProblem;
}

type Step = { kind: 'done' } | { kind: 'open' } | { kind: 'error'; reason: string };
const DONE: Step = { kind: 'done' };
const OPEN: Step = { kind: 'open' };

export class CsvReader {
  private columns = -1;
  // The record being read.
  private fields: string[] = [];
  private field = '';
  private startLine = 0;
  /** Column (1-based) where the open quoted field started, for messages. */
  private quoteColumn = 0;
  private inQuote = false;
  private held: HeldLine[] = [];
  private heldChars = 0;
  private badUtf8Line = 0;
  /** Records and broken records seen after the header. */
  rows = 0;

  constructor(
    private readonly on: CsvHandlers,
    private readonly maxRecordBytes = MAX_RECORD_BYTES,
  ) {}

  pushLine(text: string, line: number, problem: LineProblem): void {
    if (problem === 'tooLong') {
      // The splitter dropped this line; whatever record it belonged to is lost.
      if (this.inQuote) this.failOpenRecord();
      this.fail(line, `line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`, false);
      return;
    }
    if (!this.inQuote) {
      if (text === '' || text === '\r') return; // blank line: not a record
      this.startLine = line;
      this.fields = [];
      this.badUtf8Line = 0;
      this.held.length = 0;
      this.heldChars = 0;
    }
    if (problem === 'utf8' && !this.badUtf8Line) this.badUtf8Line = line;
    if (this.inQuote || text.indexOf('"') !== -1) {
      this.held.push({ text, line, problem });
      this.heldChars += text.length;
      const step = this.parse(text, this.inQuote);
      if (step.kind === 'open') {
        if (this.heldChars > this.maxRecordBytes) this.failOpenRecord();
        return;
      }
      if (step.kind === 'error') {
        this.fail(this.startLine, step.reason, this.held.length > 1);
        return;
      }
      if (this.heldChars > this.maxRecordBytes) {
        // Closed, but over the cap all the same (a 10 MB quoted field on one line).
        this.fail(this.startLine, `record is longer than ${this.maxRecordBytes / 1024 / 1024} MiB`, false);
        return;
      }
    } else {
      // Fast path: no quote on this line, so every comma separates fields.
      const end = text.endsWith('\r') ? text.length - 1 : text.length;
      this.fields = (end === text.length ? text : text.slice(0, end)).split(',');
    }
    this.finishRecord();
  }

  /** Call at the end of the input: reports a quoted field still open. */
  end(): void {
    while (this.inQuote) this.failOpenRecord();
  }

  private finishRecord(): void {
    const fields = this.fields;
    this.fields = [];
    if (this.columns === -1) {
      this.columns = fields.length;
      if (this.badUtf8Line) this.on.error(this.startLine, `invalid UTF-8 on line ${this.badUtf8Line}`);
      else this.on.header(fields, this.startLine);
      return;
    }
    if (this.badUtf8Line) {
      this.fail(this.startLine, `invalid UTF-8${this.badUtf8Line !== this.startLine ? ` on line ${this.badUtf8Line}` : ''}`, false);
      return;
    }
    if (fields.length !== this.columns) {
      const spans = this.held.length > 1 ? ` (the record spans lines ${this.startLine}-${this.held[this.held.length - 1].line}: is a quote unbalanced?)` : '';
      this.fail(this.startLine, `expected ${this.columns} columns, got ${fields.length}${spans}`, this.held.length > 1);
      return;
    }
    this.rows++;
    this.on.record(fields, this.startLine);
  }

  private failOpenRecord(): void {
    const reason = `unterminated quoted field: the quote opened in column ${this.quoteColumn} on line ${this.startLine} never closes`;
    this.fail(this.startLine, reason, true);
  }

  /** Reports a broken record; when it spanned lines, re-reads the lines after its first. */
  private fail(line: number, reason: string, replay: boolean): void {
    const held = this.held.slice(1);
    this.inQuote = false;
    this.fields = [];
    this.field = '';
    this.held = [];
    this.heldChars = 0;
    this.badUtf8Line = 0;
    if (this.columns === -1) this.columns = 0; // a broken header: later records are still read
    else this.rows++;
    this.on.error(line, reason);
    if (replay) for (const h of held) this.pushLine(h.text, h.line, h.problem);
  }

  /**
   * Reads fields from one line. `continuing` means the line starts inside a quoted field
   * opened on an earlier line. Returns 'open' when the line ends inside a quoted field.
   */
  private parse(s: string, continuing: boolean): Step {
    const len = s.length;
    let pos = 0;
    let quoted = continuing;
    for (;;) {
      if (!quoted) {
        if (pos < len && s.charCodeAt(pos) === 34 /* " */) {
          quoted = true;
          this.quoteColumn = this.fields.length + 1;
          this.field = '';
          pos++;
        } else {
          const comma = s.indexOf(',', pos);
          let end = comma === -1 ? len : comma;
          if (comma === -1 && end > pos && s.charCodeAt(end - 1) === 13 /* \r */) end--;
          const value = s.slice(pos, end);
          if (value.indexOf('"') !== -1) {
            return { kind: 'error', reason: `quote inside an unquoted field (column ${this.fields.length + 1}); quote the field and double the quote ("")` };
          }
          this.fields.push(value);
          if (comma === -1) return DONE;
          pos = comma + 1;
          continue;
        }
      }
      // Inside a quoted field: "" is an escaped quote, a lone " closes the field.
      for (;;) {
        const q = s.indexOf('"', pos);
        if (q === -1) {
          this.field += s.slice(pos) + '\n';
          this.inQuote = true;
          return OPEN;
        }
        if (q + 1 < len && s.charCodeAt(q + 1) === 34) {
          this.field += s.slice(pos, q + 1);
          pos = q + 2;
          continue;
        }
        this.field += s.slice(pos, q);
        pos = q + 1;
        break;
      }
      quoted = false;
      this.inQuote = false;
      this.fields.push(this.field);
      this.field = '';
      if (pos === len || (pos === len - 1 && s.charCodeAt(pos) === 13)) return DONE;
      if (s.charCodeAt(pos) !== 44 /* , */) {
        return { kind: 'error', reason: `text after the closing quote of column ${this.fields.length}` };
      }
      pos++;
    }
  }
}
