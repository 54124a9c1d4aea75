// Scores texts with this student exactly as the Distillery console does.
//   npm install onnxruntime-node
//   node predict.mjs "text one" "text two"          (or: echo text | node predict.mjs)
// Prints one JSON line per text: { text, label, probs: { label: p }, modelVersion }.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const read = (f) => JSON.parse(readFileSync(join(here, f), 'utf8'));
const config = read('config.json');
const vocab = read('vocab.json');
const table = read('tokenizer.json');

// ---- tokenizer: the same scan as lib/ml/tokenizer.ts, its Unicode classes from tokenizer.json ----
const SPACE = 1, WORD = 2, CHAR = 3, EMOJI = 4, MARK = 5, REGIONAL = 6, DIGIT = 7;
const starts = table.classes.map((r) => r[0]);
const classes = table.classes.map((r) => r[1]);
const bmp = new Uint8Array(0x10000);
for (let cp = 0, k = 0; cp < 0x10000; cp++) {
  while (k + 1 < starts.length && starts[k + 1] <= cp) k++;
  bmp[cp] = classes[k];
}
function classOf(cp) {
  if (cp < 0x10000) return bmp[cp];
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= cp) lo = mid; else hi = mid - 1;
  }
  return classes[lo];
}
const fold = (cp) => (cp >= 0xff01 && cp <= 0xff5e ? cp - 0xfee0 : cp === 0x2019 ? 0x27 : cp);
const foldLower = (cp) => {
  const f = fold(cp);
  if (f >= 0x41 && f <= 0x5a) return f + 32;
  return f < 0x80 ? f : String.fromCodePoint(f).toLowerCase().codePointAt(0);
};
function tokenText(s) {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c === 0xfe0f || c === 0xfe0e) continue;
    out += String.fromCodePoint(fold(c));
  }
  return out.toLowerCase();
}
const OOV = 1;

/** The canonical token strings of one text (lowercased, folded), in order. */
export function tokens(text) {
  const cps = Array.from(text, (ch) => ch.codePointAt(0));
  const n = cps.length;
  const out = [];
  const emit = (start, end, single) => {
    out.push(single >= 0 ? String.fromCodePoint(single) : tokenText(String.fromCodePoint(...cps.slice(start, end))));
    return true;
  };
  // Inside a word, the code unit after a separator decides (an astral character there counts as CHAR).
  const nextClass = (j) => (cps[j] > 0xffff ? CHAR : classOf(cps[j]));
  let i = 0;
  while (i < n) {
    const cp = cps[i];
    const cls = classOf(cp);
    if (cls === SPACE || cls === MARK) { i++; continue; }
    if (cls === CHAR) { if (!emit(i, i + 1, fold(cp))) break; i++; continue; }
    const start = i;
    i++;
    if (cls === WORD || cls === DIGIT) {
      let count = 1;
      let lastDigit = cls === DIGIT;
      while (i < n) {
        const k = classOf(cps[i]);
        if (k === WORD || k === DIGIT || k === MARK) {
          if (k !== MARK) lastDigit = k === DIGIT;
          i++; count++; continue;
        }
        const f = fold(cps[i]);
        if (i + 1 < n) {
          const next = nextClass(i + 1);
          if (f === 0x27 && !lastDigit && next === WORD) { i++; count++; continue; }
          if ((f === 0x2e || f === 0x2c) && lastDigit && next === DIGIT) { i++; count++; continue; }
        }
        break;
      }
      if (!emit(start, i, count === 1 ? foldLower(cp) : -1)) break;
      continue;
    }
    if (cls === REGIONAL) {
      if (i < n && cps[i] >= 0x1f1e6 && cps[i] <= 0x1f1ff) i++;
      if (!emit(start, i, i - start === 1 ? cp : -1)) break;
      continue;
    }
    let single = true; // EMOJI: modifiers, variation selectors, ZWJ sequences
    while (i < n) {
      const c = cps[i];
      if (c === 0x200d) {
        if (i + 1 < n && classOf(cps[i + 1]) === EMOJI) i += 2; else i += 1;
        single = false;
        continue;
      }
      if (classOf(c) === MARK) {
        if (c !== 0xfe0f && c !== 0xfe0e) single = false;
        i++;
        continue;
      }
      break;
    }
    if (!emit(start, i, single ? cp : -1)) break;
  }
  return out;
}

// ---- input ids: token ids (TextCNN, BiLSTM), or the ids of hashed n-grams (n-gram student) ----
const ngram = vocab.format === 'distillery-ngram-vocab';
const ids = ngram ? new Map(vocab.buckets.map((b, i) => [b, i + 2])) : new Map(vocab.tokens.map((t, i) => [t, i]));
const FNV_OFFSET = 2166136261, FNV_PRIME = 16777619;
const fnv = (h, xs) => {
  for (const x of xs) h = Math.imul(h ^ x, FNV_PRIME);
  return h >>> 0;
};
const codePoints = (t) => Array.from(t, (c) => c.codePointAt(0));

/** The buckets of a text's word n-grams, then of the character n-grams inside its multi-character tokens (lib/ml/ngram.ts). */
function ngramBuckets(toks) {
  const { wordOrders, charOrders, buckets } = vocab.features;
  const th = toks.map((t) => fnv(FNV_OFFSET, codePoints(t)));
  const out = [];
  for (const n of wordOrders) for (let i = 0; i + n <= th.length; i++) out.push(fnv((FNV_OFFSET ^ n) >>> 0, th.slice(i, i + n)) % buckets);
  for (const t of toks) {
    const cps = codePoints(t);
    if (cps.length < 2) continue;
    const s = [0x20, ...cps, 0x20];
    for (const n of charOrders) for (let i = 0; i + n <= s.length; i++) out.push(fnv((FNV_OFFSET ^ (256 + n)) >>> 0, s.slice(i, i + n)) % buckets);
  }
  return out;
}

/** Input ids of one text, at most maxLen; a text without any known id is [OOV]. */
export function encode(text, maxLen = config.maxLen) {
  const toks = tokens(text);
  let out;
  if (ngram) {
    const seen = new Set();
    for (const b of ngramBuckets(toks)) {
      const id = ids.get(b);
      if (id !== undefined) seen.add(id); // a Set keeps first-insertion order
      if (seen.size >= maxLen) break;
    }
    out = [...seen];
  } else out = toks.slice(0, maxLen).map((t) => ids.get(t) ?? OOV);
  return out.length ? out : [OOV];
}

// ---- model ----
export async function predict(texts) {
  const session = await ort.InferenceSession.create(join(here, 'model.onnx'));
  const encoded = texts.map((t) => encode(t));
  const L = Math.max(1, ...encoded.map((e) => e.length));
  const data = new BigInt64Array(texts.length * L); // 0 = padding, masked in the graph
  encoded.forEach((e, i) => e.forEach((id, j) => (data[i * L + j] = BigInt(id))));
  const out = await session.run({ [config.input]: new ort.Tensor('int64', data, [texts.length, L]) });
  const probs = out[config.output].data;
  const C = config.labels.length;
  return texts.map((text, i) => {
    const p = Array.from(probs.subarray(i * C, i * C + C));
    return { text, label: config.labels[decide(p)], probs: Object.fromEntries(config.labels.map((l, c) => [l, p[c]])), modelVersion: config.version };
  });
}

/** The phase's rule: P(positive) >= threshold for binary phases with a threshold, else argmax. */
function decide(p) {
  if (p.length === 2 && config.threshold != null) {
    let pos = config.positiveLabel ? config.labels.indexOf(config.positiveLabel) : 1;
    if (pos < 0) pos = 1;
    return p[pos] >= config.threshold ? pos : 1 - pos;
  }
  return p.indexOf(Math.max(...p));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let texts = process.argv.slice(2);
  if (!texts.length) texts = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
  for (const r of await predict(texts)) console.log(JSON.stringify(r));
}
