import { describe, expect, it } from 'vitest';
import { isBusyError, retryBusy } from './busy.ts';
import { RetryLaterError } from '../errors.ts';

const busy = () => Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY', rawCode: 5 });

describe('SQLite busy handling', () => {
  it('recognises busy errors however they are wrapped', () => {
    expect(isBusyError(busy())).toBe(true);
    expect(isBusyError({ name: 'DriverAdapterError', cause: { kind: 'SocketTimeout' } })).toBe(true);
    expect(isBusyError({ code: 'busy', message: 'x' })).toBe(true); // Prisma's copy of our RetryLaterError
    expect(isBusyError(new Error('UNIQUE constraint failed'))).toBe(false);
    expect(isBusyError(null)).toBe(false);
  });

  it('retries a busy statement until it goes through, and gives up with 503 + Retry-After after the bounded wait', async () => {
    let calls = 0;
    expect(await retryBusy(async () => (++calls < 4 ? Promise.reject(busy()) : 'done'), 5_000)).toBe('done');
    expect(calls).toBe(4);
    const e = await retryBusy(() => Promise.reject(busy()), 30).catch((x) => x);
    expect(e).toBeInstanceOf(RetryLaterError);
    expect(e).toMatchObject({ status: 503, code: 'busy' });
    expect(e.retryAfterSeconds).toBeGreaterThan(0);
    const other = new Error('no such table');
    await expect(retryBusy(() => Promise.reject(other), 5_000)).rejects.toBe(other);
  });
});
