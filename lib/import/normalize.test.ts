import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { noiseReason, normalizeText, textHash } from './normalize.ts';

describe('normalizeText', () => {
  it('applies NFKC, lowercases, collapses and trims whitespace', () => {
    expect(normalizeText('  Ｈｅｌｌｏ\u3000 ＷＯＲＬＤ１２\t\n ')).toBe('hello world12');
    expect(normalizeText('ﬁne')).toBe('fine'); // ligature → letters
    expect(normalizeText('Ⅻ')).toBe('xii');
  });
});

describe('textHash', () => {
  it('is the hex of the first 16 bytes of SHA-256 of the normalised text', () => {
    const expected = createHash('sha256').update('hello world', 'utf8').digest('hex').slice(0, 32);
    expect(textHash('hello world')).toBe(expected);
    expect(textHash('hello world')).toHaveLength(32);
  });

  it('makes texts that differ only in width, case or spacing duplicates', () => {
    expect(textHash(normalizeText('Hello  World'))).toBe(textHash(normalizeText('ｈｅｌｌｏ world ')));
    expect(textHash(normalizeText('hello world'))).not.toBe(textHash(normalizeText('hello world!')));
  });
});

describe('noiseReason', () => {
  const reason = (s: string, min = 2) => noiseReason(normalizeText(s), min);
  it('keeps ordinary texts', () => {
    expect(reason('这个不错')).toBeNull();
    expect(reason('ok')).toBeNull();
    expect(reason('ha ha ha')).toBeNull();
    expect(reason('哈哈哈哈哈哈 好笑')).toBeNull();
  });
  it('filters empty and whitespace-only texts', () => {
    expect(reason('')).toBe('empty');
    expect(reason(' \t\u3000\n ')).toBe('empty');
  });
  it('filters texts with no letter or number', () => {
    expect(reason('!!!?')).toBe('symbols');
    expect(reason('😂😂')).toBe('symbols');
    expect(reason('。。。，')).toBe('symbols');
    expect(reason('!!!!!!')).toBe('symbols'); // symbols first: each text counts under one reason
  });
  it('filters one character repeated 3 or more times, spaces aside', () => {
    expect(reason('哈哈哈哈哈哈')).toBe('repeated');
    expect(reason('aaa')).toBe('repeated');
    expect(reason('A a A')).toBe('repeated');
    expect(reason('𠀀𠀀𠀀')).toBe('repeated'); // astral-plane character: compared as one code point
    expect(reason('哈哈', 1)).toBeNull(); // twice is not repeated
  });
  it('filters texts shorter than the minimum length, counting code points', () => {
    expect(reason('a', 2)).toBe('tooShort');
    expect(reason('好', 2)).toBe('tooShort');
    expect(reason('好人', 2)).toBeNull();
    expect(reason('a😀', 3)).toBe('tooShort'); // 3 UTF-16 units, 2 characters
    expect(reason('ab😀', 3)).toBeNull();
    expect(reason('abcdefghij', 10)).toBeNull();
    expect(reason('abcdefghi', 10)).toBe('tooShort');
  });
  it('counts length like Array.from on random texts', () => {
    const pool = ['a', '好', '😀', '𠀀', 'é', '1', ' '];
    for (let i = 0; i < 500; i++) {
      let s = 'x';
      const n = i % 9;
      for (let k = 0; k < n; k++) s += pool[(i * 7 + k * 3) % pool.length];
      const norm = normalizeText(s);
      for (const min of [1, 3, 5, 8]) {
        const r = noiseReason(norm, min);
        if (r === 'tooShort') expect(Array.from(norm).length).toBeLessThan(min);
        if (r === null) expect(Array.from(norm).length).toBeGreaterThanOrEqual(min);
      }
    }
  });
});
