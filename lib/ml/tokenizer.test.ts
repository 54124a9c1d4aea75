import { describe, expect, it } from 'vitest';
import { OOV_ID, PAD_ID, tokenize, Vocab, packIds } from './tokenizer.ts';

describe('tokenize', () => {
  it('CJK characters one by one, Latin words lowercased, numbers whole, punctuation alone', () => {
    expect(tokenize('我爱北京！iPhone12 很好用，价格3.5万')).toEqual(['我', '爱', '北', '京', '!', 'iphone12', '很', '好', '用', ',', '价', '格', '3.5', '万']);
    expect(tokenize("Hello, World... it's 1,000 dollars! Café")).toEqual(['hello', ',', 'world', '.', '.', '.', "it's", '1,000', 'dollars', '!', 'café']);
  });

  it('keeps emoji whole: skin tones, ZWJ families, flags; drops the presentation selector', () => {
    expect(tokenize('好👍🏽👩‍👩‍👧🇨🇳❤️😀😀')).toEqual(['好', '👍🏽', '👩‍👩‍👧', '🇨🇳', '❤', '😀', '😀']);
  });

  it('folds full-width ASCII and the typographic apostrophe', () => {
    expect(tokenize('ＡＢＣ１２３，OK don’t')).toEqual(['abc123', ',', 'ok', "don't"]);
  });

  it('has no tokens for empty or blank text', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \t\n\u3000')).toEqual([]);
  });
});

describe('Vocab', () => {
  const texts = ['我爱北京', '我爱上海', '我 hate Rain', 'rain rain 雨'];

  it('keeps tokens seen at least minFreq times, most frequent first, PAD=0 and OOV=1', () => {
    const v = Vocab.build(texts, { minFreq: 2 });
    expect(v.tokens.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    // 我 ×3, rain ×3, 爱 ×2; ties broken by the token string.
    expect(v.tokens.slice(2)).toEqual(['rain', '我', '爱']);
    expect(v.id('我')).toBe(3);
    expect(v.id('北')).toBe(OOV_ID);
  });

  it('caps the size', () => {
    const v = Vocab.build(texts, { minFreq: 1, maxSize: 4 });
    expect(v.size).toBe(4);
    expect(v.tokens.slice(2)).toEqual(['rain', '我']);
  });

  it('encodes to ids, truncates to maxLen, unknown tokens to OOV, empty text to [OOV]', () => {
    const v = Vocab.build(texts, { minFreq: 2 });
    expect(Array.from(v.encode('我爱 RAIN 北', 10))).toEqual([3, 4, 2, OOV_ID]);
    expect(Array.from(v.encode('我爱 RAIN 北', 2))).toEqual([3, 4]);
    expect(Array.from(v.encode('', 5))).toEqual([OOV_ID]);
    expect(Array.from(v.encode('我'.repeat(1000), 300))).toHaveLength(300);
    expect(PAD_ID).toBe(0);
  });

  it('round-trips through vocab.json with identical encodings', () => {
    const v = Vocab.build([...texts, '👍🏽 ok 𠀀'], { minFreq: 1 });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    for (const t of [...texts, '👍🏽 ok 𠀀 unknown']) expect(Array.from(back.encode(t, 50))).toEqual(Array.from(v.encode(t, 50)));
    expect(() => Vocab.fromJSON({ ...v.toJSON(), tokenizer: 'other' })).toThrow(/tokenizer/);
  });

  it('encodeAll packs the same ids as encode', () => {
    const v = Vocab.build(texts, { minFreq: 1 });
    const all = ['我爱北京 rain', '', '雨雨雨雨雨雨', 'x'];
    const packed = v.encodeAll(all, 4);
    const single = packIds(all.map((t) => v.encode(t, 4)));
    expect(Array.from(packed.offsets)).toEqual(Array.from(single.offsets));
    expect(Array.from(packed.tokens)).toEqual(Array.from(single.tokens));
  });
});
