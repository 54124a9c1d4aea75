/**
 * The tokenizer shipped in a model download (predict.mjs, predict.py, driven by tokenizer.json)
 * gives exactly the ids of lib/ml/tokenizer.ts, on COLD texts and on the cases the tokenizer
 * documents (emoji sequences, flags, full-width ASCII, inner apostrophes and decimals).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCold } from '../datasets/cold.ts';
import { tokenizerClassRuns, Vocab } from '../ml/tokenizer.ts';
import { NgramVocab } from '../ml/ngram.ts';
import type { FeatureVocab } from '../ml/features.ts';
import { tarGz } from './tar.ts';

const TRICKY = [
  'iPhone12 真的好用吗？', "don't ＡＢＣ１２３，ok", '价格 3.5 元 1,000 个', '👩‍👩‍👧 家庭 👍🏽 赞', '🇨🇳🇺🇸 flags', '❤️ vs ❤',
  'ΣΟΦΙΑ σοφία ς', 'İstanbul straße', 'e\u0301clair café', '𠀀𠀁 astral han', "a'𝐀 word", '  ', '', 'x'.repeat(200), '😂😂😂 哈哈哈',
  '日本語のテキスト カタカナ', '한국어 텍스트', 'ไทย ภาษา', '# @user http://x.co/a?b=1', '\u200b\u2060zero width',
];

describe('the downloadable example tokenizer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-example-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ENGLISH = ["Where is my card? It hasn't arrived", 'I was charged twice for the same transaction', 'top-up failed with Apple Pay', 'Can I change my PIN at an ATM?', 'exchange rate for EUR → GBP'];

  /** Writes the download's files for `vocab` into a fresh folder and checks both examples against `vocab.encode`. */
  async function checkExamples(name: string, vocab: FeatureVocab, texts: string[], maxLen: number) {
    const sub = join(dir, name);
    execFileSync('mkdir', ['-p', sub]);
    writeFileSync(join(sub, 'vocab.json'), JSON.stringify(vocab.toJSON()));
    writeFileSync(join(sub, 'config.json'), JSON.stringify({ maxLen, labels: ['a', 'b'], input: 'input_ids', output: 'probs', version: 'test' }));
    writeFileSync(join(sub, 'tokenizer.json'), JSON.stringify({ classes: tokenizerClassRuns() }));
    copyFileSync(join(process.cwd(), 'lib/models/example/predict.mjs'), join(sub, 'predict.mjs'));
    copyFileSync(join(process.cwd(), 'lib/models/example/predict.py'), join(sub, 'predict.py'));
    symlinkSync(join(process.cwd(), 'node_modules'), join(sub, 'node_modules'));
    const example = (await import(join(sub, 'predict.mjs'))) as { encode: (t: string, maxLen?: number) => number[] };
    const expected = texts.map((t) => Array.from(vocab.encode(t, maxLen)));
    expect(texts.map((t) => example.encode(t))).toEqual(expected);
    expect(expected.some((ids) => ids.length === maxLen)).toBe(true);
    const lines = texts.filter((t) => t.trim() && !t.includes('\n'));
    const out = execFileSync('python3', [join(sub, 'predict.py'), '--ids'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual(lines.map((t) => Array.from(vocab.encode(t, maxLen))));
  }

  it('reproduces the n-gram student\'s ids (hashed word and character n-grams) in Node and in Python', async () => {
    const cold = (await readCold()).slice(0, 2000).map((r) => r.text);
    const texts = [...TRICKY, ...ENGLISH, ...cold];
    const vocab = NgramVocab.build([...cold, ...TRICKY, ...TRICKY, ...ENGLISH, ...ENGLISH], { wordOrders: [1, 2, 3], charOrders: [2, 3, 4], buckets: 1 << 20 }, { minCount: 2 });
    await checkExamples('ngram', vocab, texts, 64);
  });

  it('reproduces Vocab.encode in Node and in Python from vocab.json + config.json + tokenizer.json', async () => {
    const cold = (await readCold()).slice(0, 3000).map((r) => r.text);
    const texts = [...TRICKY, ...cold];
    const vocab = Vocab.build([...cold, ...TRICKY, ...TRICKY], { minFreq: 2 });
    await checkExamples('tokens', vocab, texts, 48);
  });

  it('writes a .tar.gz that tar extracts byte for byte', () => {
    const bin = new Uint8Array(1500).map((_, i) => (i * 7) % 256);
    const archive = tarGz([{ name: 'm/a.txt', data: 'héllo\n' }, { name: 'm/b.bin', data: bin }, { name: 'm/empty', data: '' }]);
    writeFileSync(join(dir, 'x.tar.gz'), archive);
    const listing = execFileSync('tar', ['-tzvf', join(dir, 'x.tar.gz')], { encoding: 'utf8' });
    expect(listing).toContain('m/b.bin');
    execFileSync('tar', ['-xzf', join(dir, 'x.tar.gz'), '-C', dir]);
    expect(execFileSync('cat', [join(dir, 'm/a.txt')], { encoding: 'utf8' })).toBe('héllo\n');
    expect(new Uint8Array(execFileSync('cat', [join(dir, 'm/b.bin')]))).toEqual(bin);
  });
});
