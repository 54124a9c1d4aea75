/**
 * The n-gram student's features: hashed word and character n-grams, and the table of the
 * n-grams that its training texts contained (its "vocabulary").
 *
 * A text's features, all computed from the tokens of lib/ml/tokenizer.ts:
 *   - word n-grams of the orders `wordOrders` over the token sequence (for Chinese, tokens are
 *     characters, so these are character n-grams);
 *   - character n-grams of the orders `charOrders` inside each token of two or more code points,
 *     with a space marking both ends (" card " → " c", "ca", …, "d "): the subwords that let an
 *     English model share what it learned between "card", "cards" and "carded" (fastText's idea).
 * Each n-gram is hashed (FNV-1a, 32 bits, over code points; a seed per kind and order) into
 * `buckets`. Only buckets seen in at least `minCount` training texts get a row in the model,
 * most frequent first (ids from 2; 0 is padding, 1 stands for "no known feature"), so the table
 * holds what training saw and nothing else. A text encodes as the ids of its distinct known
 * features in first-seen order, at most `maxLen` of them.
 *
 * The same definition is implemented by the download's predict.py and predict.mjs (tested
 * against this file), so the hash must stay exactly what it is: FNV-1a with prime 16777619
 *   token hash   t = fnv(2166136261, code points of the token)
 *   word n-gram  h = fnv(2166136261 ^ n, t_1 … t_n)                      (one step per token hash)
 *   char n-gram  h = fnv(2166136261 ^ (256 + n), c_1 … c_n)
 *   bucket       h mod buckets
 * where fnv(h, x_1 … x_k) repeats h = (h ^ x_i) · 16777619 mod 2³².
 *
 * Browser-safe: no Node imports (the try-it page encodes with it).
 */
import { OOV_ID, PAD_ID, scanTokens, TOKENIZER_NAME, type PackedIds } from './tokenizer.ts';

export const FNV_OFFSET = 2166136261;
export const FNV_PRIME = 16777619;

export interface NgramFeatureConfig {
  /** Orders of token n-grams. */
  wordOrders: number[];
  /** Orders of character n-grams inside multi-character tokens (empty: none). */
  charOrders: number[];
  /** Hash space. */
  buckets: number;
}

export interface NgramVocabJSON {
  format: 'distillery-ngram-vocab';
  version: 1;
  tokenizer: string;
  features: NgramFeatureConfig;
  /** Bucket of feature id 2 + i. */
  buckets: number[];
  /** Number of training texts that contained feature id 2 + i (its document frequency). */
  df: number[];
  /** Number of texts the table was built from. */
  docs: number;
}

export interface BuildNgramVocabOptions {
  /** A bucket seen in fewer texts than this gets no row. Default 2. */
  minCount?: number;
  /** Rows at most, PAD and "no feature" included. Default 1,000,000. */
  maxSize?: number;
}

/** Hashes of a text's n-grams (before the table lookup), written into `out`; returns how many. */
class NgramHasher {
  private tokenHashes = new Uint32Array(256);
  private cps = new Int32Array(256);
  out = new Uint32Array(1024);
  private count = 0;

  constructor(readonly config: NgramFeatureConfig) {
    const { wordOrders, charOrders, buckets } = config;
    if (!wordOrders.length && !charOrders.length) throw new Error('an n-gram student needs word or character orders');
    if (!(buckets >= 2 && buckets <= 2 ** 31)) throw new Error('buckets must be between 2 and 2^31');
  }

  private push(h: number): void {
    if (this.count === this.out.length) {
      const grown = new Uint32Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.count++] = (h >>> 0) % this.config.buckets;
  }

  /** Buckets of every n-gram of `text` (repeats included), in order: word n-grams by order, then character n-grams token by token. */
  hash(text: string): number {
    this.count = 0;
    const { wordOrders, charOrders } = this.config;
    let nTok = 0;
    let nCps = 0;
    const maxWordOrder = wordOrders.length ? Math.max(...wordOrders) : 0;
    // Token hashes, and the code points of multi-code-point tokens (for their character n-grams).
    const multiStarts: number[] = [];
    scanTokens(text, (single, multi) => {
      if (nTok === this.tokenHashes.length) {
        const grown = new Uint32Array(nTok * 2);
        grown.set(this.tokenHashes);
        this.tokenHashes = grown;
      }
      let h = FNV_OFFSET;
      if (single >= 0) h = Math.imul(h ^ single, FNV_PRIME);
      else {
        const start = nCps;
        for (const ch of multi!) {
          const cp = ch.codePointAt(0)!;
          h = Math.imul(h ^ cp, FNV_PRIME);
          if (charOrders.length) {
            if (nCps + 2 >= this.cps.length) {
              const grown = new Int32Array(this.cps.length * 2);
              grown.set(this.cps);
              this.cps = grown;
            }
            this.cps[nCps++] = cp;
          }
        }
        if (charOrders.length) multiStarts.push(start, nCps);
      }
      this.tokenHashes[nTok++] = h >>> 0;
    });
    if (maxWordOrder) {
      for (const n of wordOrders) {
        for (let i = 0; i + n <= nTok; i++) {
          let h = (FNV_OFFSET ^ n) >>> 0;
          for (let j = i; j < i + n; j++) h = Math.imul(h ^ this.tokenHashes[j], FNV_PRIME);
          this.push(h);
        }
      }
    }
    // Character n-grams of " token " for tokens of two or more code points (one code point: the
    // token itself is already a word feature).
    const SPACE = 0x20;
    for (let t = 0; t < multiStarts.length; t += 2) {
      const from = multiStarts[t];
      const to = multiStarts[t + 1];
      const len = to - from + 2; // with the two boundary spaces
      const at = (k: number) => (k === 0 || k === len - 1 ? SPACE : this.cps[from + k - 1]);
      for (const n of charOrders) {
        for (let i = 0; i + n <= len; i++) {
          let h = (FNV_OFFSET ^ (256 + n)) >>> 0;
          for (let k = i; k < i + n; k++) h = Math.imul(h ^ at(k), FNV_PRIME);
          this.push(h);
        }
      }
    }
    return this.count;
  }
}

/** Open-addressing map bucket → feature id (typed arrays: no per-entry objects). */
class BucketTable {
  private readonly keys: Int32Array;
  private readonly ids: Int32Array;
  private readonly mask: number;

  constructor(buckets: readonly number[]) {
    let cap = 16;
    while (cap < buckets.length * 2) cap *= 2;
    this.keys = new Int32Array(cap).fill(-1);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
    buckets.forEach((b, i) => {
      let s = Math.imul(b, 0x9e3779b1) & this.mask;
      while (this.keys[s] !== -1) s = (s + 1) & this.mask;
      this.keys[s] = b;
      this.ids[s] = i + 2;
    });
  }

  get(bucket: number): number {
    let s = Math.imul(bucket, 0x9e3779b1) & this.mask;
    for (;;) {
      const k = this.keys[s];
      if (k === bucket) return this.ids[s];
      if (k === -1) return -1;
      s = (s + 1) & this.mask;
    }
  }
}

export class NgramVocab {
  readonly kind = 'ngram';
  private readonly hasher: NgramHasher;
  private readonly table: BucketTable;
  /** Stamp per id: marks the features already emitted for the current text (dedupe without a Set). */
  private readonly seen: Int32Array;
  private stamp = 0;
  private scratch = new Int32Array(256);

  private constructor(
    readonly features: NgramFeatureConfig,
    readonly bucketOf: readonly number[],
    readonly df: readonly number[],
    readonly docs: number,
  ) {
    this.hasher = new NgramHasher(features);
    this.table = new BucketTable(bucketOf);
    this.seen = new Int32Array(bucketOf.length + 2);
  }

  /** Rows of the model's table: PAD, "no known feature", then one per kept bucket. */
  get size(): number {
    return this.bucketOf.length + 2;
  }

  /** Inverse document frequency per id (smooth, as scikit-learn's TF-IDF): ln((1 + docs) / (1 + df)) + 1; 0 for PAD, 1 for "no feature". */
  idf(): Float32Array {
    const out = new Float32Array(this.size);
    out[OOV_ID] = 1;
    this.df.forEach((d, i) => (out[i + 2] = Math.log((1 + this.docs) / (1 + d)) + 1));
    return out;
  }

  /**
   * Counts in how many of `texts` each bucket occurs and keeps those seen at least `minCount`
   * times, most frequent first (ties by bucket: the same texts always give the same ids).
   */
  static build(texts: Iterable<string>, features: NgramFeatureConfig, options: BuildNgramVocabOptions = {}): NgramVocab {
    const minCount = options.minCount ?? 2;
    const maxSize = options.maxSize ?? 1_000_000;
    if (maxSize < 3) throw new Error('maxSize must leave room for PAD, "no feature" and one feature');
    const hasher = new NgramHasher(features);
    // Dense counters over the hash space when it is small enough, else a Map.
    const dense = features.buckets <= 1 << 24;
    const counts = dense ? new Uint32Array(features.buckets) : null;
    const lastDoc = dense ? new Int32Array(features.buckets).fill(-1) : null;
    const sparse = dense ? null : new Map<number, [number, number]>();
    let docs = 0;
    for (const text of texts) {
      const n = hasher.hash(text);
      for (let i = 0; i < n; i++) {
        const b = hasher.out[i];
        if (counts) {
          if (lastDoc![b] !== docs) {
            lastDoc![b] = docs;
            counts[b]++;
          }
        } else {
          const e = sparse!.get(b);
          if (!e) sparse!.set(b, [1, docs]);
          else if (e[1] !== docs) (e[0]++, (e[1] = docs));
        }
      }
      docs++;
    }
    const kept: number[] = [];
    if (counts) for (let b = 0; b < counts.length; b++) if (counts[b] >= minCount) kept.push(b);
    if (sparse) for (const [b, [c]] of sparse) if (c >= minCount) kept.push(b);
    const countOf = (b: number) => (counts ? counts[b] : sparse!.get(b)![0]);
    kept.sort((a, b) => countOf(b) - countOf(a) || a - b);
    const chosen = kept.slice(0, maxSize - 2);
    return new NgramVocab({ ...features }, chosen, chosen.map(countOf), docs);
  }

  static fromJSON(json: NgramVocabJSON | string): NgramVocab {
    const v = typeof json === 'string' ? (JSON.parse(json) as NgramVocabJSON) : json;
    if (v.format !== 'distillery-ngram-vocab' || !Array.isArray(v.buckets) || !Array.isArray(v.df) || v.df.length !== v.buckets.length) throw new Error('not a distillery n-gram vocab.json');
    if (v.tokenizer !== TOKENIZER_NAME) throw new Error(`vocab was built with tokenizer ${v.tokenizer}, this build has ${TOKENIZER_NAME}`);
    return new NgramVocab(v.features, v.buckets, v.df, v.docs);
  }

  toJSON(): NgramVocabJSON {
    return { format: 'distillery-ngram-vocab', version: 1, tokenizer: TOKENIZER_NAME, features: { ...this.features }, buckets: [...this.bucketOf], df: [...this.df], docs: this.docs };
  }

  /** Feature ids of `text` (distinct, first-seen order, at most `maxLen`); [1] when it has no known feature. */
  encode(text: string, maxLen: number): Int32Array {
    const n = this.encodeInto(text, maxLen);
    return this.scratch.slice(0, n);
  }

  /** Encodes many texts into one packed buffer. */
  encodeAll(texts: readonly string[], maxLen: number): PackedIds {
    const offsets = new Int32Array(texts.length + 1);
    let tokens = new Int32Array(Math.max(1024, texts.length * 64));
    let pos = 0;
    for (let i = 0; i < texts.length; i++) {
      const n = this.encodeInto(texts[i], maxLen);
      if (pos + n > tokens.length) {
        const grown = new Int32Array(Math.max(tokens.length * 2, pos + n));
        grown.set(tokens.subarray(0, pos));
        tokens = grown;
      }
      tokens.set(this.scratch.subarray(0, n), pos);
      pos += n;
      offsets[i + 1] = pos;
    }
    return { offsets, tokens: tokens.slice(0, pos) };
  }

  private encodeInto(text: string, maxLen: number): number {
    if (maxLen < 1) throw new Error('maxLen must be >= 1');
    if (this.scratch.length < maxLen) this.scratch = new Int32Array(maxLen);
    const m = this.hasher.hash(text);
    if (this.stamp === 0x7fffffff) (this.seen.fill(0), (this.stamp = 0));
    const stamp = ++this.stamp;
    let n = 0;
    for (let i = 0; i < m && n < maxLen; i++) {
      const id = this.table.get(this.hasher.out[i]);
      if (id < 0 || this.seen[id] === stamp) continue;
      this.seen[id] = stamp;
      this.scratch[n++] = id;
    }
    if (n === 0) this.scratch[n++] = OOV_ID;
    return n;
  }
}

export { PAD_ID };
