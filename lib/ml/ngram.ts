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
import { OOV_ID, PAD_ID, scan, tokenCodePointsInto, TOKENIZER_NAME, type PackedIds } from './tokenizer.ts';

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

/**
 * Buckets of a text's n-grams (before the table lookup), written into `out`. The hot path of
 * training and inference: one pass over the text's UTF-16 units (lib/ml/tokenizer.ts `scan` and
 * `tokenCodePointsInto`), no string or array per token, character n-grams buffered while the
 * token hashes accumulate, then written after the word n-grams.
 */
class NgramHasher {
  private tokenHashes = new Uint32Array(256);
  /** The current token's code points between two boundary spaces: [SPACE, c_1 … c_k, SPACE]. */
  private cps = new Int32Array(256);
  private charBuckets = new Uint32Array(1024);
  private nChar = 0;
  private nTok = 0;
  out = new Uint32Array(1024);
  private readonly wordOrders: Int32Array;
  private readonly charOrders: Int32Array;
  /** buckets − 1 when buckets is a power of two (a mask instead of a division), else −1. */
  private readonly mask: number;
  private readonly emitToken: (start: number, end: number, single: number) => void;
  private text = '';

  constructor(readonly config: NgramFeatureConfig) {
    const { wordOrders, charOrders, buckets } = config;
    if (!wordOrders.length && !charOrders.length) throw new Error('an n-gram student needs word or character orders');
    if (!(buckets >= 2 && buckets <= 2 ** 31)) throw new Error('buckets must be between 2 and 2^31');
    this.wordOrders = Int32Array.from(wordOrders);
    this.charOrders = Int32Array.from(charOrders);
    this.mask = (buckets & (buckets - 1)) === 0 ? buckets - 1 : -1;
    this.emitToken = (start, end, single) => this.token(start, end, single);
  }

  private bucket(h: number): number {
    return this.mask >= 0 ? h & this.mask : (h >>> 0) % this.config.buckets;
  }

  /** Buckets of every n-gram of `text` (repeats included), in order: word n-grams by order, then character n-grams token by token; returns how many. */
  hash(text: string): number {
    this.nTok = 0;
    this.nChar = 0;
    this.text = text;
    scan(text, this.emitToken);
    this.text = '';
    const { wordOrders, tokenHashes, nTok } = this;
    let need = this.nChar;
    for (let o = 0; o < wordOrders.length; o++) need += Math.max(0, nTok - wordOrders[o] + 1);
    if (need > this.out.length) this.out = new Uint32Array(Math.max(need, this.out.length * 2));
    const out = this.out;
    let m = 0;
    for (let o = 0; o < wordOrders.length; o++) {
      const n = wordOrders[o];
      const seed = FNV_OFFSET ^ n;
      for (let i = 0; i + n <= nTok; i++) {
        let h = seed;
        for (let j = i; j < i + n; j++) h = Math.imul(h ^ tokenHashes[j], FNV_PRIME);
        out[m++] = this.bucket(h);
      }
    }
    const charBuckets = this.charBuckets;
    for (let i = 0; i < this.nChar; i++) out[m++] = charBuckets[i];
    return m;
  }

  /** One token of the scan: its hash, and the character n-grams of " token " when it has two or more code points (one code point: the token itself is already a word feature). */
  private token(start: number, end: number, single: number): void {
    if (this.nTok === this.tokenHashes.length) {
      const grown = new Uint32Array(this.nTok * 2);
      grown.set(this.tokenHashes);
      this.tokenHashes = grown;
    }
    if (single < 0) {
      if (this.cps.length < 2 * (end - start) + 2) this.cps = new Int32Array(4 * (end - start) + 2);
      const cps = this.cps;
      const k = tokenCodePointsInto(this.text, start, end, cps, 1);
      if (k === 1) single = cps[1]; // folding shrank it to one code point
      else {
        let h = FNV_OFFSET;
        for (let i = 1; i <= k; i++) h = Math.imul(h ^ cps[i], FNV_PRIME);
        this.tokenHashes[this.nTok++] = h;
        if (this.charOrders.length) this.charNgrams(k + 2);
        return;
      }
    }
    this.tokenHashes[this.nTok++] = Math.imul(FNV_OFFSET ^ single, FNV_PRIME);
  }

  private charNgrams(len: number): void {
    const { charOrders, cps } = this;
    cps[0] = SPACE;
    cps[len - 1] = SPACE;
    if (this.nChar + len * charOrders.length > this.charBuckets.length) {
      const grown = new Uint32Array(Math.max(this.charBuckets.length * 2, this.nChar + len * charOrders.length));
      grown.set(this.charBuckets.subarray(0, this.nChar));
      this.charBuckets = grown;
    }
    const charBuckets = this.charBuckets;
    let c = this.nChar;
    for (let o = 0; o < charOrders.length; o++) {
      const n = charOrders[o];
      const seed = FNV_OFFSET ^ (256 + n);
      for (let i = 0; i + n <= len; i++) {
        let h = seed;
        for (let j = i; j < i + n; j++) h = Math.imul(h ^ cps[j], FNV_PRIME);
        charBuckets[c++] = this.bucket(h);
      }
    }
    this.nChar = c;
  }
}

const SPACE = 0x20;

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
    if (maxLen < 1) throw new Error('maxLen must be >= 1');
    const m = this.hasher.hash(text);
    const out = new Int32Array(Math.min(m, maxLen) + 1);
    return out.slice(0, this.idsInto(m, maxLen, out, 0));
  }

  /** Encodes many texts into one packed buffer, each text's ids written straight into it. */
  encodeAll(texts: readonly string[], maxLen: number): PackedIds {
    if (maxLen < 1) throw new Error('maxLen must be >= 1');
    const offsets = new Int32Array(texts.length + 1);
    let tokens = new Int32Array(Math.max(1024, texts.length * 64));
    let pos = 0;
    for (let i = 0; i < texts.length; i++) {
      const m = this.hasher.hash(texts[i]);
      const room = pos + Math.min(m, maxLen) + 1;
      if (room > tokens.length) {
        const grown = new Int32Array(Math.max(tokens.length * 2, room));
        grown.set(tokens.subarray(0, pos));
        tokens = grown;
      }
      pos += this.idsInto(m, maxLen, tokens, pos);
      offsets[i + 1] = pos;
    }
    return { offsets, tokens: tokens.slice(0, pos) };
  }

  /** Writes the distinct known ids of the `m` buckets the hasher just produced into `out` from `at` (room for min(m, maxLen) + 1); returns how many. */
  private idsInto(m: number, maxLen: number, out: Int32Array, at: number): number {
    if (this.stamp === 0x7fffffff) (this.seen.fill(0), (this.stamp = 0));
    const stamp = ++this.stamp;
    const { seen, table } = this;
    const buckets = this.hasher.out;
    let n = at;
    const end = at + maxLen;
    for (let i = 0; i < m && n < end; i++) {
      const id = table.get(buckets[i]);
      if (id < 0 || seen[id] === stamp) continue;
      seen[id] = stamp;
      out[n++] = id;
    }
    if (n === at) out[n++] = OOV_ID;
    return n - at;
  }
}

export { PAD_ID };
