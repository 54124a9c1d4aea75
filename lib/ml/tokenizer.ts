/**
 * Tokenizer and vocabulary for the students.
 *
 * Short Chinese texts are best served by character tokens (no segmenter to ship, no
 * segmentation errors, a small vocabulary), while the Latin words, numbers and emoji mixed
 * into them are better kept whole. So:
 *   - each CJK character (Han, kana, Hangul, and the other scripts written without spaces) is a token;
 *   - runs of letters/digits from spaced scripts are one token, lowercased ("iPhone12" → "iphone12"),
 *     keeping inner apostrophes ("don't") and inner decimal separators ("3.5", "1,000");
 *   - an emoji is one token including its modifiers, variation selectors and ZWJ sequences
 *     ("👩‍👩‍👧", "👍🏽"), a flag is one token (a regional-indicator pair);
 *   - every other non-space character (punctuation, symbols) is a token of its own;
 *   - full-width ASCII ("ＡＢＣ１２３，") is folded to ASCII, so "，" and "," share a token.
 *
 * Speed: this runs over millions of items (vocabulary building, training, rescoring), so the
 * scanner works on UTF-16 code units with a precomputed class table for the BMP, and looks
 * single-code-point tokens (most of Chinese text) up in an Int32Array instead of a Map.
 */

/** Character classes of the scanner. */
const SPACE = 1;
const WORD = 2; // letter of a spaced script or a digit
const CHAR = 3; // a character that is a token on its own (CJK, punctuation, symbols)
const EMOJI = 4; // Extended_Pictographic
const MARK = 5; // combining marks, variation selectors, ZWJ, emoji modifiers/tags: extend the previous token
const REGIONAL = 6; // regional indicators, paired into flags
const DIGIT = 7; // decimal digit (a WORD character, kept apart for "3.5" and "1,000")

export const PAD_ID = 0;
export const OOV_ID = 1;
export const PAD_TOKEN = '<pad>';
export const OOV_TOKEN = '<unk>';
export const TOKENIZER_NAME = 'cjk-char+latin-word+emoji-v1';

const charTokenScripts = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Bopomofo}\p{Script=Yi}]/u;
const pictographic = /\p{Extended_Pictographic}/u;
const letter = /\p{L}/u;
const digitRe = /\p{Nd}/u;
const markRe = /[\p{M}\u200D\uFE0E\uFE0F]/u;
const spaceRe = /[\s\p{Zs}\u200B\u2060\uFEFF]/u;

function classify(cp: number): number {
  if (cp >= 0xff01 && cp <= 0xff5e) return classify(cp - 0xfee0); // full-width ASCII
  if (cp >= 0x1f1e6 && cp <= 0x1f1ff) return REGIONAL;
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return MARK; // skin-tone modifiers
  if (cp >= 0xe0020 && cp <= 0xe007f) return MARK; // emoji tag sequences (subdivision flags)
  const s = String.fromCodePoint(cp);
  if (spaceRe.test(s)) return SPACE;
  if (cp === 0x200d || markRe.test(s)) return MARK;
  if (pictographic.test(s) && cp > 0xff) return EMOJI; // ©/® stay plain symbols
  if (digitRe.test(s)) return DIGIT;
  if (letter.test(s)) return charTokenScripts.test(s) ? CHAR : WORD;
  return CHAR;
}

/** Class of every BMP code unit, computed once (≈ 65k regex tests, a few ms). */
const BMP_CLASS = (() => {
  const t = new Uint8Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) t[cp] = cp >= 0xd800 && cp <= 0xdfff ? CHAR : classify(cp);
  return t;
})();
const astralClass = new Map<number, number>();
function classOf(cp: number): number {
  if (cp < 0x10000) return BMP_CLASS[cp];
  let c = astralClass.get(cp);
  if (c === undefined) {
    c = classify(cp);
    astralClass.set(cp, c);
  }
  return c;
}

/** Folds full-width ASCII and the typographic apostrophe so that variants share a token. */
function foldCodePoint(cp: number): number {
  if (cp >= 0xff01 && cp <= 0xff5e) return cp - 0xfee0;
  if (cp === 0x2019) return 0x27; // ’ → '
  return cp;
}

const APOSTROPHE = 0x27;

/**
 * Scans `text` and calls `emit(start, end, single)` for each token: [start, end) in UTF-16
 * units; `single` is the (folded) code point when the token is one code point, else -1.
 * Words are reported raw (not yet lowercased / folded); see `tokenText`.
 */
export function scan(text: string, emit: (start: number, end: number, single: number) => boolean | void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    // A lone surrogate is its own code point, as in codePointAt.
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const cls = classOf(cp);
    if (cls === SPACE || cls === MARK) {
      // Marks that do not follow a word or an emoji (which absorb their own) carry no meaning alone.
      i += w;
      continue;
    }
    if (cls === CHAR) {
      if (emit(i, i + w, foldCodePoint(cp)) === false) return;
      i += w;
      continue;
    }
    const start = i;
    i += w;
    if (cls === WORD || cls === DIGIT) {
      let count = 1;
      let lastDigit = cls === DIGIT;
      while (i < n) {
        const c = text.codePointAt(i)!;
        const cw = c > 0xffff ? 2 : 1;
        const k = classOf(c);
        if (k === WORD || k === DIGIT || k === MARK) {
          if (k !== MARK) lastDigit = k === DIGIT;
          i += cw;
          count++;
          continue;
        }
        // Inner apostrophe between letters ("don't") and inner separator between digits ("3.5").
        const f = foldCodePoint(c);
        if (i + 1 < n) {
          const next = classOf(text.charCodeAt(i + 1));
          if (f === APOSTROPHE && !lastDigit && next === WORD) {
            i += 1;
            count++;
            continue;
          }
          if ((f === 0x2e || f === 0x2c) && lastDigit && next === DIGIT) {
            i += 1;
            count++;
            continue;
          }
        }
        break;
      }
      if (emit(start, i, count === 1 ? foldLower(cp) : -1) === false) return;
      continue;
    }
    if (cls === REGIONAL) {
      // A flag is a pair of regional indicators.
      if (i + 1 < n) {
        const c = text.codePointAt(i)!;
        if (c >= 0x1f1e6 && c <= 0x1f1ff) i += 2;
      }
      if (emit(start, i, i - start === w ? cp : -1) === false) return;
      continue;
    }
    // EMOJI: absorb modifiers, variation selectors, keycaps, tags, and ZWJ + next pictograph.
    let single = true;
    while (i < n) {
      const c = text.codePointAt(i)!;
      const cw = c > 0xffff ? 2 : 1;
      if (c === 0x200d) {
        const nx = i + 1 < n ? text.codePointAt(i + 1)! : -1;
        if (nx >= 0 && classOf(nx) === EMOJI) {
          i += 1 + (nx > 0xffff ? 2 : 1);
          single = false;
          continue;
        }
        i += 1;
        single = false;
        continue;
      }
      if (classOf(c) === MARK) {
        // U+FE0F (emoji presentation) alone does not change which emoji it is: keep it out of the key.
        if (c !== 0xfe0f && c !== 0xfe0e) single = false;
        i += cw;
        continue;
      }
      break;
    }
    if (single) {
      if (emit(start, i, cp) === false) return;
    } else if (emit(start, i, -1) === false) return;
  }
}

function foldLower(cp: number): number {
  const f = foldCodePoint(cp);
  if (f >= 0x41 && f <= 0x5a) return f + 32;
  if (f < 0x80) return f;
  return String.fromCodePoint(f).toLowerCase().codePointAt(0)!;
}

/** The canonical string of a multi-code-point token: lowercased, folded, without FE0F. */
function tokenText(text: string, start: number, end: number): string {
  let s = text.slice(start, end);
  let needsFold = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0xff01 && c <= 0xff5e) || c === 0x2019 || c === 0xfe0f || c === 0xfe0e) {
      needsFold = true;
      break;
    }
  }
  if (needsFold) {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0xfe0f || c === 0xfe0e) continue;
      out += String.fromCharCode(foldCodePoint(c));
    }
    s = out;
  }
  return s.toLowerCase();
}

/**
 * Each BMP code unit folded and lowercased as `tokenText` does it: ≥ 0 the code unit it becomes,
 * DROP for U+FE0E/U+FE0F, SLOW where a unit alone does not say (surrogates, a lowercase of two
 * units such as İ, and Σ, whose lowercase depends on its place in the word).
 */
const DROP = -1;
const SLOW = -2;
let lowerUnits: Int32Array | null = null;
function lowerUnitTable(): Int32Array {
  if (lowerUnits) return lowerUnits;
  const t = new Int32Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (c === 0xfe0f || c === 0xfe0e) t[c] = DROP;
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0x3a3) t[c] = SLOW;
    else {
      const l = String.fromCharCode(foldCodePoint(c)).toLowerCase();
      t[c] = l.length === 1 ? l.charCodeAt(0) : SLOW;
    }
  }
  return (lowerUnits = t);
}

/**
 * The code points of the canonical token text[start, end) — exactly those of
 * `tokenText(text, start, end)` — written into `out` from index `at`, without building the string
 * (the n-gram student's hot path); returns how many. `out` must hold `at + 2 * (end - start)`.
 */
export function tokenCodePointsInto(text: string, start: number, end: number, out: Int32Array, at: number): number {
  const lower = lowerUnitTable();
  let n = at;
  for (let i = start; i < end; i++) {
    const l = lower[text.charCodeAt(i)];
    if (l >= 0) out[n++] = l;
    else if (l === SLOW) {
      n = at;
      for (const ch of tokenText(text, start, end)) out[n++] = ch.codePointAt(0)!;
      break;
    }
  }
  return n - at;
}

/** The code point of a one-code-point string, else -1 (folding can shrink a token to one). */
function singleCodePoint(t: string): number {
  if (t.length === 1) return t.charCodeAt(0);
  if (t.length === 2) {
    const hi = t.charCodeAt(0);
    if (hi >= 0xd800 && hi <= 0xdbff) return t.codePointAt(0)!;
  }
  return -1;
}

/** Splits a text into its token strings (for inspection and tests; `Vocab.encode` does not allocate them). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  scan(text, (start, end, single) => {
    out.push(single >= 0 ? String.fromCodePoint(single) : tokenText(text, start, end));
  });
  return out;
}

/** Token ids of many texts in one buffer: text i is tokens[offsets[i] .. offsets[i+1]). */
export interface PackedIds {
  offsets: Int32Array;
  tokens: Int32Array;
}

export interface VocabJSON {
  format: 'distillery-vocab';
  version: 1;
  tokenizer: string;
  /** tokens[id]; tokens[0] = PAD, tokens[1] = OOV. */
  tokens: string[];
}

export interface BuildVocabOptions {
  /** Tokens seen fewer times than this map to OOV. Default 2. */
  minFreq?: number;
  /** Vocabulary size cap including PAD and OOV. Default 50,000. */
  maxSize?: number;
}

export class Vocab {
  /** id of each single-code-point token in the BMP (-1 = none). */
  private readonly bmp = new Int32Array(0x10000).fill(-1);
  private readonly astral = new Map<number, number>();
  private readonly multi = new Map<string, number>();
  private scratch = new Int32Array(256);

  private constructor(readonly tokens: readonly string[]) {
    tokens.forEach((tok, id) => {
      if (id === PAD_ID || id === OOV_ID) return;
      const cps = Array.from(tok);
      if (cps.length === 1) {
        const cp = cps[0].codePointAt(0)!;
        if (cp < 0x10000) this.bmp[cp] = id;
        else this.astral.set(cp, id);
      } else {
        this.multi.set(tok, id);
      }
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  /**
   * Counts tokens over the training texts and keeps the most frequent ones (ties broken by the
   * token string, so the same texts always give the same ids).
   */
  static build(texts: Iterable<string>, options: BuildVocabOptions = {}): Vocab {
    const minFreq = options.minFreq ?? 2;
    const maxSize = options.maxSize ?? 50_000;
    if (maxSize < 2) throw new Error('maxSize must leave room for PAD and OOV');
    const bmpCounts = new Float64Array(0x10000);
    const astralCounts = new Map<number, number>();
    const multiCounts = new Map<string, number>();
    for (const text of texts) {
      scan(text, (start, end, single) => {
        if (single >= 0) {
          if (single < 0x10000) bmpCounts[single]++;
          else astralCounts.set(single, (astralCounts.get(single) ?? 0) + 1);
        } else {
          const t = tokenText(text, start, end);
          const cp = singleCodePoint(t);
          if (cp < 0) multiCounts.set(t, (multiCounts.get(t) ?? 0) + 1);
          else if (cp < 0x10000) bmpCounts[cp]++;
          else astralCounts.set(cp, (astralCounts.get(cp) ?? 0) + 1);
        }
      });
    }
    const entries: Array<[string, number]> = [];
    for (let cp = 0; cp < 0x10000; cp++) if (bmpCounts[cp] >= minFreq) entries.push([String.fromCharCode(cp), bmpCounts[cp]]);
    for (const [cp, c] of astralCounts) if (c >= minFreq) entries.push([String.fromCodePoint(cp), c]);
    for (const [t, c] of multiCounts) if (c >= minFreq) entries.push([t, c]);
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = entries.slice(0, maxSize - 2).map((e) => e[0]);
    return new Vocab([PAD_TOKEN, OOV_TOKEN, ...kept]);
  }

  static fromJSON(json: VocabJSON | string): Vocab {
    const v = typeof json === 'string' ? (JSON.parse(json) as VocabJSON) : json;
    if (v.format !== 'distillery-vocab' || !Array.isArray(v.tokens)) throw new Error('not a distillery vocab.json');
    if (v.tokenizer !== TOKENIZER_NAME) throw new Error(`vocab was built with tokenizer ${v.tokenizer}, this build has ${TOKENIZER_NAME}`);
    if (v.tokens[PAD_ID] !== PAD_TOKEN || v.tokens[OOV_ID] !== OOV_TOKEN) throw new Error('vocab.json must start with <pad>, <unk>');
    return new Vocab(v.tokens);
  }

  toJSON(): VocabJSON {
    return { format: 'distillery-vocab', version: 1, tokenizer: TOKENIZER_NAME, tokens: [...this.tokens] };
  }

  /** Id of one token string as `tokenize` returns it. */
  id(token: string): number {
    const cps = Array.from(token);
    if (cps.length === 1) {
      const cp = cps[0].codePointAt(0)!;
      const id = cp < 0x10000 ? this.bmp[cp] : this.astral.get(cp);
      return id === undefined || id < 0 ? OOV_ID : id;
    }
    return this.multi.get(token) ?? OOV_ID;
  }

  /**
   * Token ids of `text`, truncated to `maxLen`, not padded. A text without any token encodes
   * as [OOV] so that every item has at least one position (pooling over nothing is undefined,
   * and an ONNX LSTM rejects length 0).
   */
  encode(text: string, maxLen: number): Int32Array {
    const n = this.encodeInto(text, maxLen);
    return this.scratch.slice(0, n);
  }

  /** Encodes many texts into one packed buffer (no per-text allocation). */
  encodeAll(texts: readonly string[], maxLen: number): PackedIds {
    const offsets = new Int32Array(texts.length + 1);
    let tokens = new Int32Array(Math.max(1024, texts.length * Math.min(maxLen, 48)));
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

  /** Writes the ids of `text` into `this.scratch`; returns how many. */
  private encodeInto(text: string, maxLen: number): number {
    if (maxLen < 1) throw new Error('maxLen must be >= 1');
    if (this.scratch.length < maxLen) this.scratch = new Int32Array(maxLen);
    const out = this.scratch;
    let n = 0;
    scan(text, (start, end, single) => {
      let id: number | undefined;
      if (single < 0) {
        const t = tokenText(text, start, end);
        single = singleCodePoint(t);
        if (single < 0) id = this.multi.get(t);
      }
      if (single >= 0) id = single < 0x10000 ? this.bmp[single] : this.astral.get(single);
      out[n++] = id === undefined || id < 0 ? OOV_ID : id;
      return n < maxLen;
    });
    if (n === 0) out[n++] = OOV_ID;
    return n;
  }
}

/** Packs per-text id arrays into one buffer. */
export function packIds(ids: readonly Int32Array[]): PackedIds {
  const offsets = new Int32Array(ids.length + 1);
  for (let i = 0; i < ids.length; i++) offsets[i + 1] = offsets[i] + ids[i].length;
  const tokens = new Int32Array(offsets[ids.length]);
  for (let i = 0; i < ids.length; i++) tokens.set(ids[i], offsets[i]);
  return { offsets, tokens };
}

/**
 * The scanner's character classes over all of Unicode as runs `[firstCodePoint, class]`
 * (a code point has the class of the last run starting at or before it). Written into a model
 * download as tokenizer.json, so that other languages reproduce `Vocab.encode` without
 * Unicode script tables of their own. Classes: 1 space, 2 word, 3 char, 4 emoji, 5 mark,
 * 6 regional indicator, 7 digit.
 */
let classRuns: [number, number][] | null = null;
export function tokenizerClassRuns(): [number, number][] {
  if (classRuns) return classRuns;
  const runs: [number, number][] = [];
  let last = -1;
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    const c = cp < 0x10000 ? BMP_CLASS[cp] : classify(cp); // not classOf: its cache would keep a million entries
    if (c !== last) {
      runs.push([cp, c]);
      last = c;
    }
  }
  classRuns = runs;
  return runs;
}
