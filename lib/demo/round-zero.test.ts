import { describe, expect, it } from 'vitest';
import { roundZeroLine, type RoundZeroState } from './round-zero.ts';

const report = (accuracy: number, macroF1: number) => ({ accuracy, macroF1 }) as NonNullable<RoundZeroState['metrics']>['vsHuman'];

describe('the demo’s round 0 line', () => {
  it('says when round 0 is ready, counted from the console answering, with the student’s test scores', () => {
    const state: RoundZeroState = { status: 'succeeded', roundId: 7, error: null, metrics: { vsHuman: report(0.7974, 0.791), vsTeacher: report(0.95, 0.9301), teacherVsHuman: report(0.8012, 0.79), trainSeconds: 12 } };
    expect(roundZeroLine(state, { sinceConsoleSeconds: 185.4, sinceStartSeconds: 262 })).toBe(
      `round 0 ready 3 min 5 s after the console answered (4 min 22 s after the demo started): on the test slice, student accuracy vs human labels 0.797 (macro-F1 0.791), macro-F1 vs the teacher 0.930, the teacher's accuracy vs human labels 0.801; see the Rounds page (round 7)`,
    );
  });

  it('says so when round 0 failed, with its error', () => {
    expect(roundZeroLine({ status: 'failed', roundId: 7, error: 'out of memory', metrics: null }, { sinceConsoleSeconds: 40, sinceStartSeconds: 70 })).toBe(
      'round 0 failed 40 s after the console answered (1 min 10 s after the demo started): out of memory',
    );
  });
});
