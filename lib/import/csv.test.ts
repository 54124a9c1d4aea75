import { describe, expect, it } from 'vitest';
import { CsvReader } from './csv.ts';
import { LineSplitter } from './lines.ts';

/** Runs bytes through the line splitter and the CSV reader, in chunks of `chunk` bytes. */
function readCsv(input: string | Uint8Array, chunk = 7, maxRecordBytes?: number) {
  const header: string[][] = [];
  const records: { line: number; fields: string[] }[] = [];
  const errors: { line: number; reason: string }[] = [];
  const reader = new CsvReader(
    {
      header: (fields) => header.push(fields),
      record: (fields, line) => records.push({ line, fields }),
      error: (line, reason) => errors.push({ line, reason }),
    },
    maxRecordBytes,
  );
  const splitter = new LineSplitter((text, line, problem) => reader.pushLine(text, line, problem));
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < bytes.length; i += chunk) splitter.push(bytes.subarray(i, i + chunk));
  splitter.end();
  reader.end();
  return { header: header[0], records, errors, rows: reader.rows };
}

describe('CsvReader', () => {
  it('reads plain records with line numbers', () => {
    const r = readCsv('text,label\nhello,a\nworld,b\n');
    expect(r.header).toEqual(['text', 'label']);
    expect(r.records).toEqual([
      { line: 2, fields: ['hello', 'a'] },
      { line: 3, fields: ['world', 'b'] },
    ]);
    expect(r.errors).toEqual([]);
  });

  it('handles quotes, escaped quotes and commas inside quotes', () => {
    const r = readCsv('a,b,c\n"x, y","say ""hi""",""\n');
    expect(r.records[0].fields).toEqual(['x, y', 'say "hi"', '']);
  });

  it('handles CRLF line ends, also after a quoted last field', () => {
    const r = readCsv('a,b\r\n1,2\r\n"3","4"\r\n');
    expect(r.header).toEqual(['a', 'b']);
    expect(r.records.map((x) => x.fields)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('keeps line breaks inside quoted fields and reports the line the record starts on', () => {
    const r = readCsv('id,text\n1,"first\nsecond\r\nthird"\n2,next\n');
    expect(r.records).toEqual([
      { line: 2, fields: ['1', 'first\nsecond\r\nthird'] },
      { line: 5, fields: ['2', 'next'] },
    ]);
  });

  it('strips a UTF-8 byte-order mark, even when it is split across chunks', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(',split,TEXT\n1,train,你好\n')]);
    const r = readCsv(bytes, 1);
    expect(r.header).toEqual(['', 'split', 'TEXT']);
    expect(r.records[0].fields).toEqual(['1', 'train', '你好']);
  });

  it('reads a last line without a newline, and empty trailing fields', () => {
    const r = readCsv('a,b,c\n1,,\n2,3,');
    expect(r.records.map((x) => x.fields)).toEqual([
      ['1', '', ''],
      ['2', '3', ''],
    ]);
  });

  it('skips blank lines', () => {
    const r = readCsv('a\n\nx\n\r\ny\n\n');
    expect(r.records).toEqual([
      { line: 3, fields: ['x'] },
      { line: 5, fields: ['y'] },
    ]);
    expect(r.rows).toBe(2);
  });

  it('reports a quote inside an unquoted field', () => {
    const r = readCsv('a,b\n1,ab"c\n2,ok\n');
    expect(r.errors).toEqual([{ line: 2, reason: expect.stringContaining('quote inside an unquoted field (column 2)') }]);
    expect(r.records).toEqual([{ line: 3, fields: ['2', 'ok'] }]);
  });

  it('reports text after a closing quote', () => {
    const r = readCsv('a,b\n"x"y,1\n2,ok\n');
    expect(r.errors).toEqual([{ line: 2, reason: 'text after the closing quote of column 1' }]);
    expect(r.records).toEqual([{ line: 3, fields: ['2', 'ok'] }]);
  });

  it('reports an unterminated quote at the end of the file on the line it opened', () => {
    const r = readCsv('a,b\n1,ok\n2,"never closed\n3,more\n');
    expect(r.records).toEqual([{ line: 2, fields: ['1', 'ok'] }, { line: 4, fields: ['3', 'more'] }]);
    expect(r.errors).toEqual([{ line: 3, reason: 'unterminated quoted field: the quote opened in column 2 on line 3 never closes' }]);
  });

  it('gives up on a quoted field larger than the record limit and re-reads the lines after it', () => {
    const lines = ['a,b', '1,"opens'];
    for (let i = 0; i < 50; i++) lines.push(`${i},row ${i}`);
    const r = readCsv(lines.join('\n') + '\n', 64, 200);
    expect(r.errors[0]).toEqual({ line: 2, reason: expect.stringContaining('unterminated quoted field') });
    // Every line after the broken one comes back as its own record.
    expect(r.records).toHaveLength(50);
    expect(r.records[0]).toEqual({ line: 3, fields: ['0', 'row 0'] });
  });

  it('reports a wrong column count', () => {
    const r = readCsv('a,b\n1,2,3\n4\n5,6\n');
    expect(r.errors).toEqual([
      { line: 2, reason: 'expected 2 columns, got 3' },
      { line: 3, reason: 'expected 2 columns, got 1' },
    ]);
    expect(r.records).toEqual([{ line: 4, fields: ['5', '6'] }]);
  });

  it('re-reads the lines a broken multi-line record swallowed', () => {
    // Line 3 opens a quote that line 5 closes, followed by text: one broken record on line 3,
    // then lines 4 and 5 are read again on their own.
    const r = readCsv('a,b\n1,ok\n4,"x\n5,y\n6,"z\n7,ok\n');
    expect(r.errors).toEqual([
      { line: 3, reason: 'text after the closing quote of column 2' },
      { line: 5, reason: 'unterminated quoted field: the quote opened in column 2 on line 5 never closes' },
    ]);
    expect(r.records).toEqual([
      { line: 2, fields: ['1', 'ok'] },
      { line: 4, fields: ['5', 'y'] },
      { line: 6, fields: ['7', 'ok'] },
    ]);
  });

  it('says when a record with the wrong column count spans lines', () => {
    const r = readCsv('a,b\n4,"x\n5",y\n6,ok\n');
    expect(r.errors[0]).toEqual({ line: 2, reason: 'expected 2 columns, got 3 (the record spans lines 2-3: is a quote unbalanced?)' });
    expect(r.errors[1]).toEqual({ line: 3, reason: expect.stringContaining('quote inside an unquoted field (column 1)') });
    expect(r.records).toEqual([{ line: 4, fields: ['6', 'ok'] }]);
  });

  it('reports invalid UTF-8 by line, including inside a multi-line record', () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,ok\n2,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n3,"multi\nli'), Buffer.from([0xc3]), Buffer.from('ne"\n4,fine\n')]);
    const r = readCsv(bytes, 5);
    expect(r.errors).toEqual([
      { line: 3, reason: 'invalid UTF-8' },
      { line: 4, reason: 'invalid UTF-8 on line 5' },
    ]);
    expect(r.records.map((x) => x.line)).toEqual([2, 6]);
  });

  it('splits multi-byte characters across chunk boundaries correctly', () => {
    const text = 'text\n哈哈😂中文\n';
    for (const chunk of [1, 2, 3, 5]) expect(readCsv(text, chunk).records[0].fields).toEqual(['哈哈😂中文']);
  });

  it('counts rows: good and broken records after the header', () => {
    const r = readCsv('a,b\n1,2\n3\n"4",5\n');
    expect(r.rows).toBe(3);
    expect(r.records).toHaveLength(2);
    expect(r.errors).toHaveLength(1);
  });
});
