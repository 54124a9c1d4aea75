/**
 * Time keys. An ISO-8601 date or date-time becomes epoch milliseconds; a number is kept as
 * given (a Unix time, a day index, any monotone key). A date-time without a zone is read as
 * UTC, so that the same file gives the same order on every machine.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type TimeResult = { ok: true; value: number } | { ok: false; reason: string };

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function bad(raw: string, why: string): TimeResult {
  return { ok: false, reason: `invalid time ${JSON.stringify(raw)}: ${why}` };
}

export function parseTimeKey(raw: string | number): TimeResult {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: `invalid time ${raw}: not a finite number` };
  }
  const fast = canonicalUtc(raw);
  if (fast !== -1) return { ok: true, value: fast };
  const s = raw.trim();
  if (NUMBER.test(s)) return { ok: true, value: Number(s) };
  const m = ISO.exec(s);
  if (!m) return bad(raw, 'expected an ISO-8601 date (2024-05-01), date-time (2024-05-01T10:00:00Z) or a number');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12) return bad(raw, `month ${m[2]} does not exist`);
  const daysInMonth = month === 2 && isLeap(year) ? 29 : DAYS[month - 1];
  if (day < 1 || day > daysInMonth) return bad(raw, `day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  if (hour > 23 || minute > 59 || second > 59) return bad(raw, 'hour, minute or second out of range');
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || 0);
    if (oh > 23 || om > 59) return bad(raw, `time zone offset ${zone} out of range`);
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) epoch = new Date(epoch).setUTCFullYear(year);
  return { ok: true, value: epoch + ms - offsetMinutes * 60_000 };
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * Fast path for the most common form, "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.sssZ"
 * (what toISOString writes): epoch ms, or -1 when the string has another form or is out of
 * range, in which case the general parser decides.
 */
function canonicalUtc(s: string): number {
  const n = s.length;
  if ((n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 90 /* Z */) return -1;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return -1;
  if (n === 24 && s[19] !== '.') return -1;
  for (const i of n === 24 ? DIGITS_MS : DIGITS) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return -1;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS[month - 1])) return -1;
  const ms = n === 24 ? digit(s, 20) * 100 + two(s, 21) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const DIGITS_MS = [...DIGITS, 20, 21, 22];
