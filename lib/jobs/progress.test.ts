import { describe, expect, it } from 'vitest';
import { describeProgress, formatSeconds, scoringEtaSeconds, trainingEtaSeconds } from './progress.ts';

describe('describeProgress', () => {
  it('counts a round’s epochs from 0: halfway through the first of 4 epochs is 1/8 done and says epoch 1/4', () => {
    const s = describeProgress({ stage: 'training', epoch: 0, epochs: 4, step: 50, steps: 100, loss: 0.51234, examplesPerSecond: 2310.4 });
    expect(s.share).toBeCloseTo(0.125);
    expect(s.epoch).toBe(1);
    expect(s.text).toBe('training, epoch 1/4, step 50/100, loss 0.5123, 2,310 ex/s');
  });

  it('after an epoch ends (next index, no step) the bar stands at the epochs done and names the next epoch', () => {
    const s = describeProgress({ stage: 'training', epoch: 2, epochs: 4 });
    expect(s.share).toBeCloseTo(0.5);
    expect(s.text).toBe('training, epoch 3/4');
    expect(describeProgress({ stage: 'training', epoch: 4, epochs: 4 }).share).toBe(1);
    expect(describeProgress({ stage: 'training', epoch: 4, epochs: 4 }).epoch).toBe(4);
  });

  it('the teacher job: member 1 of 2, first epoch of 4 just begun is near 0, not a whole epoch ahead', () => {
    // The bug this replaces: the job sent epoch 1 for the first epoch, and the bar added one more.
    const s = describeProgress({ stage: 'teacher', member: 1, members: 2, epoch: 0, epochs: 4, step: 1, steps: 400 });
    expect(s.share).toBeLessThan(0.01);
    expect(s.text.startsWith('teacher member 1/2, epoch 1/4, step 1/400')).toBe(true);
    // Second member, last epoch, last step: the whole job.
    expect(describeProgress({ stage: 'teacher', member: 2, members: 2, epoch: 3, epochs: 4, step: 400, steps: 400 }).share).toBe(1);
    expect(describeProgress({ stage: 'teacher', member: 2, members: 2, epoch: 0, epochs: 4, step: 0, steps: 400 }).share).toBe(0.5);
  });

  it('the teacher job: members weigh what their training costs when the job says so', () => {
    // A fast first member (2 % of the work) done: the bar is at 2 %, not at half.
    expect(describeProgress({ stage: 'teacher', member: 2, members: 2, memberStart: 0.02, memberSpan: 0.98, epoch: 0, epochs: 3, step: 0, steps: 100 }).share).toBeCloseTo(0.02);
    expect(describeProgress({ stage: 'teacher', member: 1, members: 2, memberStart: 0, memberSpan: 0.02, epoch: 7, epochs: 8, step: 100, steps: 100 }).share).toBeCloseTo(0.02);
    expect(describeProgress({ stage: 'teacher', member: 2, members: 2, memberStart: 0.02, memberSpan: 0.98, epoch: 1, epochs: 2, step: 50, steps: 100 }).share).toBeCloseTo(0.02 + 0.98 * 0.75);
    // The time left counts later members at their cost: 49 times this member's 8 epochs of 1 s.
    expect(trainingEtaSeconds({ epoch: 7, epochs: 8, step: 50, steps: 100, seconds: 0.5, member: 1, members: 2, laterMembersCost: 49 }, [1])).toBeCloseTo(0.5 + 49 * 8);
    expect(trainingEtaSeconds({ epoch: 7, epochs: 8, step: 50, steps: 100, seconds: 0.5, member: 1, members: 2 }, [1])).toBeCloseTo(0.5 + 8);
  });

  it('scoring shows items done of all, other stages in words, and the time left as estimate or bound', () => {
    const s = describeProgress({ stage: 'scoring', scored: 20000, total: 37324, etaSeconds: 4.4 });
    expect(s.share).toBeCloseTo(20000 / 37324);
    expect(s.text).toBe('scoring the pool: 20,000 / 37,324 · about 4 s left');
    expect(describeProgress({ stage: 'loading' }).text).toBe('loading the training set');
    expect(describeProgress({ stage: 'scoring', fold: 3, folds: 5 })).toMatchObject({ share: 0.4, text: 'scoring the pool: training held-out fold 3/5' });
    const bound = describeProgress({ stage: 'training', epoch: 1, epochs: 12, step: 10, steps: 20, etaSeconds: 125, etaAtMost: true });
    expect(bound.text).toContain('at most 2 min 5 s left (early stopping may end it sooner)');
    expect(bound.etaSeconds).toBe(125);
    expect(describeProgress({ stage: 'training', epoch: 1, epochs: 12, etaSeconds: null }).etaSeconds).toBeNull();
  });
});

describe('time left', () => {
  it('goes by the current epoch’s pace within it and the past epochs’ mean pace after it', () => {
    // 30 of 100 steps in 15 s (0.5 s/step): 35 s to end the epoch; 2 more epochs at the past mean of 40 s.
    expect(trainingEtaSeconds({ epoch: 1, epochs: 4, step: 30, steps: 100, seconds: 15 }, [38, 42])).toBeCloseTo(35 + 80);
    // No finished epoch yet: the later epochs take what this one will.
    expect(trainingEtaSeconds({ epoch: 0, epochs: 3, step: 25, steps: 100, seconds: 10 })).toBeCloseTo(30 + 2 * 40);
    // Nothing to go by yet.
    expect(trainingEtaSeconds({ epoch: 0, epochs: 3, step: 0, steps: 100, seconds: 0 })).toBeNull();
    // Later ensemble members: their epochs too.
    expect(trainingEtaSeconds({ epoch: 3, epochs: 4, step: 100, steps: 100, seconds: 50, member: 1, members: 2 }, [50, 50, 50])).toBeCloseTo(4 * 50);
  });

  it('scoring: the rest at the pace so far; formats seconds for people', () => {
    expect(scoringEtaSeconds(10_000, 40_000, 2)).toBeCloseTo(6);
    expect(scoringEtaSeconds(0, 40_000, 0)).toBeNull();
    expect(formatSeconds(59.6)).toBe('1 min 0 s');
    expect(formatSeconds(3725)).toBe('1 h 2 min');
  });
});
