import * as crypto from 'node:crypto';

/**
 * The form two texts are compared in for deduplication and noise filtering: NFKC (full-width
 * "ＡＢＣ１" and "ABC1" are the same text), lowercase, whitespace runs collapsed to one space,
 * trimmed. The stored item keeps the original text; only the hash is taken of this form.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Hex of the first 16 bytes of SHA-256 of the normalised text: the dedupe key of an item. */
export function textHash(normalized: string): string {
  return oneShotHash ? oneShotHash('sha256', normalized, 'hex').slice(0, 32) : crypto.createHash('sha256').update(normalized).digest().toString('hex', 0, 16);
}

/**
 * crypto.hash (Node ≥ 20.12, not yet in our @types/node): the same SHA-256 of the UTF-8 text
 * without a Hash object per call, about 5× cheaper for short texts.
 */
const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export type NoiseReason = 'empty' | 'symbols' | 'repeated' | 'tooShort';

const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/**
 * Why a normalised text is noise rather than data, or null when it is kept. Checked in this
 * order, so each filtered text is counted once:
 * - empty: nothing left after normalisation (empty or whitespace-only);
 * - symbols: no letter and no number at all (punctuation, symbols, emoji only: "?!…", "😂😂");
 * - repeated: one character, ignoring spaces, repeated 3 or more times ("哈哈哈", "a a a a");
 * - tooShort: fewer than `minLength` characters (code points, so a CJK character or an emoji
 *   counts as one).
 */
export function noiseReason(normalized: string, minLength: number): NoiseReason | null {
  if (normalized.length === 0) return 'empty';
  if (!LETTER_OR_NUMBER.test(normalized)) return 'symbols';
  if (isOneCharRepeated(normalized)) return 'repeated';
  // Characters are code points (what Array.from counts), so CJK and emoji count as one. A
  // string with at least 2×minLength UTF-16 units has at least minLength code points:
  // only short strings need counting.
  if (normalized.length < 2 * minLength && Array.from(normalized).length < minLength) return 'tooShort';
  return null;
}

/** One code point, spaces aside, at least 3 times. Scans code points without allocating. */
function isOneCharRepeated(s: string): boolean {
  let first = -1;
  let count = 0;
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    if (cp === 32) continue;
    if (first === -1) first = cp;
    else if (cp !== first) return false;
    count++;
  }
  return count >= 3;
}
