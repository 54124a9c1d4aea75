import { describe, expect, it } from 'vitest';
import { FNV_OFFSET, FNV_PRIME, NgramVocab } from './ngram.ts';
import { Rng } from './rng.ts';
import { OOV_ID, tokenize } from './tokenizer.ts';

/** The documented hash, written out independently of the implementation. */
function fnv(seed: number, xs: number[]): number {
  let h = seed >>> 0;
  for (const x of xs) h = Number((BigInt(h ^ x) * BigInt(FNV_PRIME)) & 0xffffffffn) >>> 0;
  return h;
}
const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
const tokenHash = (t: string) => fnv(FNV_OFFSET, cps(t));
const word = (tokens: string[], buckets: number) => fnv((FNV_OFFSET ^ tokens.length) >>> 0, tokens.map(tokenHash)) % buckets;
const char = (s: string, buckets: number) => fnv((FNV_OFFSET ^ (256 + [...s].length)) >>> 0, cps(s)) % buckets;

/**
 * The documented features of a text, straight from the definition: the token strings of
 * `tokenize`, their code points, word n-grams by order, then " token "'s character n-grams token
 * by token. Slow and allocating; the implementation must give the same buckets in the same order.
 */
function referenceBuckets(text: string, f: { wordOrders: number[]; charOrders: number[]; buckets: number }): number[] {
  const tokens = tokenize(text);
  const out: number[] = [];
  for (const n of f.wordOrders) for (let i = 0; i + n <= tokens.length; i++) out.push(word(tokens.slice(i, i + n), f.buckets));
  for (const t of tokens) {
    const chars = [...t];
    if (chars.length < 2) continue;
    const padded = [' ', ...chars, ' '];
    for (const n of f.charOrders) for (let i = 0; i + n <= padded.length; i++) out.push(char(padded.slice(i, i + n).join(''), f.buckets));
  }
  return out;
}

/** `encode` from the definition: the distinct known buckets' ids in first-seen order, at most maxLen, [OOV] when none. */
function referenceEncode(v: NgramVocab, idOf: Map<number, number>, text: string, maxLen: number): number[] {
  const ids: number[] = [];
  for (const b of referenceBuckets(text, v.features)) {
    const id = idOf.get(b);
    if (id !== undefined && !ids.includes(id) && ids.length < maxLen) ids.push(id);
  }
  return ids.length ? ids : [OOV_ID];
}

/** Random texts drawn from pieces that exercise every tokenizer rule and the case folding of `tokenText`. */
function randomTexts(count: number, seed: number): string[] {
  const pieces = [
    'card', 'CARD', 'Card', 'iPhone12', "don't", 'ＡＢＣ', '１２３', '，', '3.5', '1,000', '你好', '卡丢了', '日本語', 'カタカナ', '한국어', 'ไทย',
    '👩‍👩‍👧', '👍🏽', '❤️', '❤', '🇨🇳', '🇺🇸', '😂', 'ΣΟΦΙΑ', 'σοφία', 'ΟΔΟΣ', 'ς', 'İstanbul', 'straße', 'ǅemal', 'e\u0301clair', 'café',
    '𠀀𠀁', '𝐀𝐁', '𐐀𐐨', "a'b", 'it’s', 'x\uFE0Fy', 'A\uFE0E', '\u200b', '\u2060', '\uD800', '\uDC00z', ' ', '  ', '\t', '\n', '?', '!', '#', '@user',
    'http://x.co/a?b=1', 'ÀÉÎÕÜ', 'ÆØÅ', 'Ꭰ', 'ﬃ', 'Ǳ', 'ꭰ', 'Ω', 'K', 'Å',
  ];
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const n = Math.floor(rng.next() * 12);
    let t = '';
    for (let i = 0; i < n; i++) t += pieces[Math.floor(rng.next() * pieces.length)] + (rng.next() < 0.6 ? ' ' : '');
    return t;
  });
}

describe('NgramVocab', () => {
  const features = { wordOrders: [1, 2], charOrders: [2, 3], buckets: 1 << 20 };

  it('hashes word n-grams over tokens and character n-grams inside multi-character tokens, as documented', () => {
    // Each text occurs twice so that every n-gram passes minCount 2.
    const v = NgramVocab.build(['你好 card', '你好 card'], features, { minCount: 2 });
    const B = features.buckets;
    const expected = new Set([
      word(['你'], B), word(['好'], B), word(['card'], B),
      word(['你', '好'], B), word(['好', 'card'], B),
      ...[' c', 'ca', 'ar', 'rd', 'd '].map((s) => char(s, B)),
      ...[' ca', 'car', 'ard', 'rd '].map((s) => char(s, B)),
    ]);
    expect(new Set(v.bucketOf)).toEqual(expected);
    // A single-character token ('你') has no character n-grams of its own.
    expect(v.bucketOf).not.toContain(char(' 你', B));
  });

  it('keeps n-grams seen in at least minCount texts, most frequent first, and encodes distinct ids in first-seen order', () => {
    const texts = ['a b c', 'a b', 'a', 'b a', 'zzz'];
    const v = NgramVocab.build(texts, { wordOrders: [1], charOrders: [], buckets: 1024 }, { minCount: 2 });
    // a: 4 texts, b: 3 texts; c and zzz once: no row.
    expect(v.size).toBe(4);
    expect(v.df).toEqual([4, 3]);
    expect(Array.from(v.encode('b a b a', 10))).toEqual([3, 2]);
    expect(Array.from(v.encode('a b c', 1))).toEqual([2]); // maxLen caps the count
    // No known feature (unknown words, empty text): the "no feature" id, so every text has one position.
    expect(Array.from(v.encode('c zzz', 10))).toEqual([OOV_ID]);
    expect(Array.from(v.encode('', 10))).toEqual([OOV_ID]);
    const packed = v.encodeAll(['a', '', 'b a'], 10);
    expect(Array.from(packed.offsets)).toEqual([0, 1, 2, 4]);
    expect(Array.from(packed.tokens)).toEqual([2, OOV_ID, 3, 2]);
  });

  it('idf is smooth (scikit-learn formula), 0 for padding and 1 for "no feature"', () => {
    const v = NgramVocab.build(['a b', 'a', 'a c', 'b'], { wordOrders: [1], charOrders: [], buckets: 1024 }, { minCount: 1 });
    const idf = v.idf();
    expect(idf[0]).toBe(0);
    expect(idf[1]).toBe(1);
    const a = v.encode('a', 5)[0];
    expect(idf[a]).toBeCloseTo(Math.log(5 / 4) + 1, 6);
  });

  it('round-trips through vocab.json and encodes identically; refuses another format or tokenizer', () => {
    const texts = ['Where is my card?', 'my card was declined', 'where is the card', '卡丢了怎么办', '卡丢了'];
    const v = NgramVocab.build(texts, features, { minCount: 1 });
    const back = NgramVocab.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    for (const t of [...texts, 'a new text about my card', '']) expect(Array.from(back.encode(t, 64))).toEqual(Array.from(v.encode(t, 64)));
    expect(() => NgramVocab.fromJSON({ ...v.toJSON(), format: 'x' } as never)).toThrow(/not a distillery n-gram vocab/);
    expect(() => NgramVocab.fromJSON({ ...v.toJSON(), tokenizer: 'other' })).toThrow(/tokenizer/);
  });

  it('encodes exactly as the documented definition on random mixed-script text (emoji, surrogates, CJK, case folding, empty)', () => {
    const texts = ['', ...randomTexts(3000, 7)];
    for (const f of [
      { wordOrders: [1, 2], charOrders: [2, 3, 4], buckets: 1 << 22 },
      { wordOrders: [1, 2, 3], charOrders: [1, 5], buckets: 1_000_003 }, // not a power of two: the modulo path
      { wordOrders: [], charOrders: [2, 3], buckets: 64 }, // a tiny space: collisions
    ]) {
      const v = NgramVocab.build(texts.slice(0, 2000), f, { minCount: 1 });
      expect(new Set(v.bucketOf)).toEqual(new Set(texts.slice(0, 2000).flatMap((t) => referenceBuckets(t, f))));
      expect(v.size).toBeGreaterThan(f.buckets === 64 ? 30 : 1000);
      const idOf = new Map(v.bucketOf.map((b, i) => [b, i + 2]));
      const expected = texts.map((t) => referenceEncode(v, idOf, t, 1024));
      texts.forEach((t, i) => {
        expect(Array.from(v.encode(t, 1024)), t).toEqual(expected[i]);
        expect(Array.from(v.encode(t, 5)), t).toEqual(expected[i].slice(0, 5));
      });
      expect(Array.from(v.encodeAll(texts, 1024).tokens)).toEqual(expected.flat());
    }
  });

  it('the same texts always give the same table (ties broken by bucket)', () => {
    const texts = ['x y z', 'z y x', 'q r', 'r q'];
    const a = NgramVocab.build(texts, features, { minCount: 1 });
    const b = NgramVocab.build([...texts], features, { minCount: 1 });
    expect(a.bucketOf).toEqual(b.bucketOf);
  });
});
