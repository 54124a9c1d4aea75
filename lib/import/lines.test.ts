import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineProblem } from './lines.ts';

function split(chunks: Uint8Array[], maxLineBytes?: number) {
  const out: [string, number, LineProblem][] = [];
  const s = new LineSplitter((text, line, problem) => out.push([text, line, problem]), maxLineBytes);
  for (const c of chunks) s.push(c);
  s.end();
  return { lines: out, bytes: s.bytes };
}
const b = (s: string) => Buffer.from(s);

describe('LineSplitter', () => {
  it('numbers lines across chunk boundaries and keeps a CR for the caller', () => {
    const { lines, bytes } = split([b('ab\r\ncd'), b('e\n'), b('\nlast')]);
    expect(lines).toEqual([
      ['ab\r', 1, null],
      ['cde', 2, null],
      ['', 3, null],
      ['last', 4, null],
    ]);
    expect(bytes).toBe(13);
  });

  it('flags exactly the lines with invalid UTF-8 and decodes the rest', () => {
    const { lines } = split([Buffer.concat([b('ok\nbad '), Buffer.from([0xe4, 0xbd]), b('\n中文\n'), Buffer.from([0x80]), b('\n')])]);
    expect(lines.map(([t, l, p]) => [l, p])).toEqual([
      [1, null],
      [2, 'utf8'],
      [3, null],
      [4, 'utf8'],
    ]);
    expect(lines[2][0]).toBe('中文');
  });

  it('accepts a character split between two chunks', () => {
    const bytes = b('前后\n');
    const { lines } = split([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)]);
    expect(lines).toEqual([['前后', 1, null]]);
  });

  it('reports a line longer than the limit instead of buffering it, and goes on after it', () => {
    const { lines } = split([b('short\n'), b('x'.repeat(30)), b('y'.repeat(30)), b('z\nnext\n')], 40);
    expect(lines).toEqual([
      ['short', 1, null],
      ['', 2, 'tooLong'],
      ['next', 3, null],
    ]);
  });

  it('strips a BOM only at the very start', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const { lines } = split([Buffer.concat([bom, b('a\n'), bom, b('b\n')])]);
    expect(lines.map((l) => l[0])).toEqual(['a', '\ufeffb']);
  });

  it('handles a file shorter than a BOM', () => {
    expect(split([b('a')]).lines).toEqual([['a', 1, null]]);
    expect(split([]).lines).toEqual([]);
  });
});
