/**
 * Request bodies read with a limit: the body is streamed and the read stops (413) as soon as it
 * passes the limit, so a 200 MB body to a JSON route costs at most the limit in memory. JSON is
 * also refused (400) when nested deeper than MAX_JSON_DEPTH: a 200,000-deep array parses, but
 * every later JSON.stringify of it overflows the stack.
 */
import { isUtf8 } from 'node:buffer';
import { DomainError, badRequest } from '../errors.ts';

/** Default cap of a JSON body (task specs with many phases, round configs, annotations). */
export const JSON_BODY_LIMIT = 1024 * 1024;
/** Cap of a login body: an email and a password. */
export const LOGIN_BODY_LIMIT = 8 * 1024;
export const MAX_JSON_DEPTH = 64;

export const payloadTooLarge = (limit: number) =>
  new DomainError(`request body is larger than ${limit} bytes`, 413, 'payload_too_large', { limit });

/** Bytes of the body, at most `limit` of them: 413 without reading further when there are more. */
export async function readBodyLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await req.body?.cancel().catch(() => {});
    throw payloadTooLarge(limit);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Deepest nesting of arrays/objects in JSON text (strings skipped), stopping once past `max`. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/**
 * A read body's bytes as JSON ({} when empty): 400 for bad UTF-8 or nesting past MAX_JSON_DEPTH, a
 * SyntaxError (400 through the error mapper) for bad JSON. A byte order mark is dropped.
 * isUtf8() then toString(): the same check as a fatal TextDecoder at a fraction of its cost
 * (0.04 ms of a 32-text predict request's main-thread CPU went to TextDecoder.decode in a profile).
 */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  if (!isUtf8(bytes)) throw badRequest('request body is not valid UTF-8');
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!text.trim()) return {};
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw badRequest(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}

/** The body parsed as JSON ({} when empty), read under `limit` bytes and MAX_JSON_DEPTH levels. */
export async function readJsonLimited(req: Request, limit = JSON_BODY_LIMIT): Promise<unknown> {
  return parseJsonBytes(await readBodyLimited(req, limit));
}
