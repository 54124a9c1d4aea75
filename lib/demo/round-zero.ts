/**
 * Round 0 of the demo's first phase, as the demo's terminal announces it: its status and, once
 * it succeeded, the student's scores on the temporal test slice.
 */
import type { Db } from '../db/client.ts';
import { formatSeconds } from '../jobs/progress.ts';
import type { RoundMetrics } from '../rounds/run.ts';

export interface RoundZeroState {
  status: string | null;
  roundId: number | null;
  error: string | null;
  metrics: Pick<RoundMetrics, 'vsHuman' | 'vsTeacher' | 'teacherVsHuman' | 'trainSeconds'> | null;
}

export async function roundZeroState(db: Db, phaseId: number): Promise<RoundZeroState> {
  const round = await db.round.findUnique({ where: { phaseId_number: { phaseId, number: 0 } } });
  if (!round) return { status: null, roundId: null, error: null, metrics: null };
  return { status: round.status, roundId: round.id, error: round.error, metrics: round.metrics ? (JSON.parse(round.metrics) as RoundZeroState['metrics']) : null };
}

/** "round 0 ready 3 min 5 s after the console answered (…): student accuracy vs human …". */
export function roundZeroLine(state: RoundZeroState, times: { sinceConsoleSeconds: number; sinceStartSeconds: number }): string {
  const when = `${formatSeconds(times.sinceConsoleSeconds)} after the console answered (${formatSeconds(times.sinceStartSeconds)} after the demo started)`;
  if (state.status !== 'succeeded') return `round 0 ${state.status ?? 'missing'} ${when}${state.error ? `: ${state.error}` : ''}`;
  const m = state.metrics;
  const parts: string[] = [];
  if (m?.vsHuman) parts.push(`student accuracy vs human labels ${m.vsHuman.accuracy.toFixed(3)} (macro-F1 ${m.vsHuman.macroF1.toFixed(3)})`);
  if (m?.vsTeacher) parts.push(`macro-F1 vs the teacher ${m.vsTeacher.macroF1.toFixed(3)}`);
  if (m?.teacherVsHuman) parts.push(`the teacher's accuracy vs human labels ${m.teacherVsHuman.accuracy.toFixed(3)}`);
  return `round 0 ready ${when}${parts.length ? `: on the test slice, ${parts.join(', ')}` : ''}; see the Rounds page (round ${state.roundId})`;
}
