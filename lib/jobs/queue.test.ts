import { describe, expect, it } from 'vitest';
import { isFinal, retryDelayMs, toJob } from './queue.ts';

describe('retryDelayMs', () => {
  it('doubles from 5 s per attempt and stops growing at 10 minutes', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(20)).toBe(600_000);
    expect(retryDelayMs(0)).toBe(5_000);
    expect(retryDelayMs(3, 100, 250)).toBe(250);
  });
});

describe('isFinal', () => {
  it('treats only succeeded, failed and cancelled as final', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map(isFinal)).toEqual([false, false, true, true, true]);
  });
});

describe('toJob', () => {
  it('decodes a raw SQLite row (0/1 booleans, ISO text times) into the model shape', () => {
    const job = toJob({
      id: 7, type: 'round', payload: '{"roundId":1}', status: 'running', priority: 0, attempts: 1, maxAttempts: 3,
      runAfter: '2026-11-22T00:00:00.000+00:00', leaseOwner: 'w', leaseExpiresAt: '2026-11-22T00:00:30.000+00:00',
      heartbeatAt: null, progress: null, result: null, error: null, cancelRequested: 0, dedupeKey: null,
      createdAt: '2026-11-22T00:00:00.000+00:00', startedAt: '2026-11-22T00:00:00.000+00:00', finishedAt: null,
    });
    expect(job.cancelRequested).toBe(false);
    expect(job.leaseExpiresAt!.getTime() - job.runAfter.getTime()).toBe(30_000);
    expect(job.heartbeatAt).toBeNull();
  });
});
