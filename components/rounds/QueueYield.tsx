'use client';
import type { YieldCounts } from '@/lib/queue/yield.ts';
import { useYield } from './queries';

const pct = (c: YieldCounts) => (c.teacherErrorRate == null ? '—' : `${(100 * c.teacherErrorRate).toFixed(1)}%`);
const se = (c: YieldCounts) => (c.teacherErrorRateSe == null ? '' : `± ${(100 * c.teacherErrorRateSe).toFixed(1)}`);
const studentRate = (c: YieldCounts) => (c.withStudent ? `${((100 * c.overruledStudent) / c.withStudent).toFixed(1)}%` : '—');

/**
 * The queue's yield: of the items people labelled, how often they overruled the teacher (and the
 * student that ranked the queue), for queue picks and for the random audit picks that measure
 * the teacher's base error rate. A queue that works finds teacher errors several times more often.
 */
export function QueueYield({ phaseId }: { phaseId: number }) {
  const q = useYield(phaseId);
  const y = q.data;
  if (!y) return null;
  return (
    <div className="border-t border-zinc-200 px-4 py-3" data-testid={`yield-${phaseId}`}>
      <h3 className="text-sm font-semibold">Queue yield</h3>
      <p className="mb-2 text-xs text-zinc-500">
        Share of labelled items where the person overruled the teacher. Random audit picks (a small share of served items, drawn at random) are the honest baseline: the teacher&apos;s base error rate.
      </p>
      {y.queue.answered + y.audit.answered === 0 ? (
        <p className="text-sm text-zinc-500">No labels yet.</p>
      ) : (
        <>
          <p className="mb-2 text-sm" data-testid="yield-summary">
            Queue picks: <strong data-testid="yield-queue">{pct(y.queue)}</strong> <span className="text-zinc-500">{se(y.queue)} of {y.queue.answered}</span> · random baseline: <strong data-testid="yield-baseline">{pct(y.audit)}</strong>{' '}
            <span className="text-zinc-500">{y.audit.answered ? `${se(y.audit)} of ${y.audit.answered}` : 'no audit answers yet'}</span>
            {y.lift != null && <span className="ml-2 badge bg-indigo-50 text-indigo-800">{y.lift.toFixed(1)}× random</span>}
          </p>
          <table className="data">
            <thead>
              <tr>
                <th>Queue ranked by</th><th className="num">Queue labels</th><th className="num">Overruled teacher</th><th className="num">Overruled student</th><th className="num">Audit labels</th><th className="num">Audit: overruled teacher</th>
              </tr>
            </thead>
            <tbody>
              {y.rounds.map((r) => (
                <tr key={r.modelId ?? 'none'} data-testid={`yield-round-${r.roundNumber ?? 'none'}`}>
                  <td>{r.roundNumber == null ? 'teacher order (no student yet)' : `round #${r.roundNumber}'s student`}</td>
                  <td className="num">{r.queue.answered}</td>
                  <td className="num">{pct(r.queue)}</td>
                  <td className="num">{studentRate(r.queue)}</td>
                  <td className="num">{r.audit.answered}</td>
                  <td className="num">{pct(r.audit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
