/**
 * For the training tests (train.test.ts, ngram-student.test.ts, lstm-fused.test.ts): a run killed
 * mid-training, as a SIGKILLed worker would be, leaving its last epoch checkpoint behind.
 */
import { expect } from 'vitest';
import { encodeCheckpoint, trainStudent, type TrainCheckpoint, type TrainProgress } from './train.ts';

/** Trains until `killWhen` says so (progress after every step), then returns the last checkpoint saved before the kill. */
export async function killedCheckpoint(args: Parameters<typeof trainStudent>[0], killWhen: (p: TrainProgress) => boolean): Promise<Uint8Array> {
  let saved: Uint8Array | null = null;
  const abort = new AbortController();
  await expect(
    trainStudent({
      ...args,
      progressIntervalMs: 0,
      signal: abort.signal,
      onEpochEnd: (cp: TrainCheckpoint) => void (saved = encodeCheckpoint(cp)),
      onProgress: (p) => (killWhen(p) ? abort.abort(new Error('killed')) : undefined),
    }),
  ).rejects.toThrow('killed');
  expect(saved).not.toBeNull();
  return saved!;
}
