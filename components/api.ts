/** fetch for the console's own API: JSON in, JSON out, the server's error message on failure. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly details?: unknown) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    // Every change says application/json, body or not: the server refuses cookie-authenticated changes without it (CSRF guard).
    headers: init.body === undefined && (init.method ?? 'GET') === 'GET' ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(data.error ?? `request failed (${res.status})`, res.status, data.details);
  return data as T;
}

/** A value as it arrives over JSON: dates become ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** What a lib/ function answers, as the route that returns it sends it: `WireResult<typeof listUsers>`. */
export type WireResult<F extends (...args: never[]) => unknown> = Wire<Awaited<ReturnType<F>>>;
