/**
 * Login throttling: failed logins counted per account and per client address over a sliding
 * window. Past the limit the login is refused with 429 and Retry-After (the time until the oldest
 * failure leaves the window) before any password is checked, so guessing costs no scrypt time.
 * An attempt is counted when it starts and uncounted when it succeeds, so ten concurrent guesses
 * cannot all slip in under the limit.
 *
 * The counts live in this process (one console process per deployment, as the README describes);
 * several console processes behind a balancer each keep their own, which multiplies the limits.
 */
import { RetryLaterError } from '../errors.ts';

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const loginLimits = () => ({
  account: envInt('DISTILLERY_LOGIN_MAX_FAILURES_ACCOUNT', 5),
  address: envInt('DISTILLERY_LOGIN_MAX_FAILURES_ADDRESS', 30),
  windowMs: envInt('DISTILLERY_LOGIN_WINDOW_MS', LOGIN_WINDOW_MS),
});

/** Keys kept at most: the oldest are dropped first, so a flood of addresses cannot grow memory. */
const MAX_KEYS = 50_000;

export class SlidingThrottle {
  private readonly hits = new Map<string, number[]>();

  /** Milliseconds until `key` may try again (0: now). */
  retryAfterMs(key: string, max: number, windowMs: number, now = Date.now()): number {
    const list = this.hits.get(key);
    if (!list) return 0;
    while (list.length && list[0] <= now - windowMs) list.shift();
    if (!list.length) this.hits.delete(key);
    return list.length >= max ? list[0] + windowMs - now : 0;
  }

  record(key: string, now = Date.now()): void {
    let list = this.hits.get(key);
    if (!list) {
      if (this.hits.size >= MAX_KEYS) this.hits.delete(this.hits.keys().next().value!);
      this.hits.set(key, (list = []));
    }
    list.push(now);
  }

  /** Takes back one recorded attempt (it succeeded). */
  forgetOne(key: string): void {
    const list = this.hits.get(key);
    list?.pop();
    if (list && !list.length) this.hits.delete(key);
  }

  clear(key: string): void {
    this.hits.delete(key);
  }
}

const g = globalThis as unknown as { __distilleryLoginThrottle?: SlidingThrottle };
export const loginThrottle = () => (g.__distilleryLoginThrottle ??= new SlidingThrottle());

/**
 * Starts a login attempt for (email, address): throws 429 when either is over its limit,
 * otherwise counts the attempt and returns what to call on success.
 */
export function beginLoginAttempt(email: string, address: string | null): { succeeded(): void } {
  const t = loginThrottle();
  const { account, address: perAddress, windowMs } = loginLimits();
  const accountKey = `account:${email}`;
  const addressKey = address ? `address:${address}` : null;
  const wait = Math.max(t.retryAfterMs(accountKey, account, windowMs), addressKey ? t.retryAfterMs(addressKey, perAddress, windowMs) : 0);
  if (wait > 0) {
    throw new RetryLaterError('too many failed logins; try again later', 429, 'too_many_attempts', Math.ceil(wait / 1000), { retryAfterSeconds: Math.ceil(wait / 1000) });
  }
  t.record(accountKey);
  if (addressKey) t.record(addressKey);
  return {
    succeeded() {
      t.clear(accountKey);
      if (addressKey) t.forgetOne(addressKey);
    },
  };
}

/** The caller's address as the server sees it: the first X-Forwarded-For hop (set by the reverse proxy), else X-Real-IP. */
export function clientAddress(req: Request): string | null {
  const fwd = req.headers.get('x-forwarded-for')?.split(',')[0].trim();
  return fwd || req.headers.get('x-real-ip')?.trim() || null;
}
