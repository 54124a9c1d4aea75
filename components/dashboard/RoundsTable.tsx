'use client';
import Link from 'next/link';
import { f3, int, pct } from '@/components/format';
import { formatSeconds } from '@/lib/jobs/progress.ts';
import { signed } from '@/lib/rounds/returns.ts';
import { DataTable } from '@/components/ui/DataTable';
import { ProgressLine } from '@/components/rounds/RoundProgress';
import { isActive, type Dashboard } from '@/components/rounds/queries';
import type { Round } from '@/components/rounds/types';

type Row = Dashboard['rounds'][number];

const date = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

/** F1 in bold over precision and recall. */
function Scores({ s }: { s: Row['vsTeacher'] }) {
  if (!s) return <span className="text-zinc-400">—</span>;
  return (
    <>
      <b className="font-semibold">{f3(s.f1)}</b>
      <div className="whitespace-nowrap text-xs text-zinc-500">P {f3(s.precision)} · R {f3(s.recall)}</div>
    </>
  );
}

/**
 * Every round of the phase, oldest first: what it trained on, how its student did on the temporal
 * test slice, the queue's yield while it ranked, what it bought per 100 new labels, and its cost.
 * `live` (the rounds list, polled) carries the progress of a running round.
 */
export function RoundsTable({ d, live, canCancel, onCancel }: { d: Dashboard; live: Map<number, Round>; canCancel: boolean; onCancel: (roundId: number) => void }) {
  return (
    <div className="overflow-x-auto">
      <DataTable
        className="[&_td]:px-2 [&_th]:px-2"
        testId="dashboard-rounds"
        rows={[...d.rounds].reverse()}
        rowKey={(r) => r.roundId}
        rowTestId={(r) => `dashboard-round-${r.number}`}
        empty="No rounds yet."
        columns={[
          {
            header: 'Round',
            cell: (r) => {
              const now = live.get(r.number);
              const status = now?.status ?? r.status;
              return (
                <>
                  <div className="flex flex-wrap items-center gap-1 whitespace-nowrap">
                    <Link className="font-medium text-indigo-700 hover:underline" href={`/rounds/${r.roundId}`}>#{r.number}</Link>
                    <span className={`badge ${status === 'succeeded' ? 'bg-green-50 text-green-800' : status === 'failed' ? 'bg-red-50 text-red-800' : ''}`} data-testid="round-status">{status}</span>
                    {r.trigger === 'auto' && <span className="badge" title="Started by the worker after enough new human labels">auto</span>}
                    {r.deployed && <span className="badge bg-green-50 text-green-800">live</span>}
                    {r.regression && <span className="badge bg-amber-50 text-amber-800" data-testid="round-regression" title="Below an earlier student on the validation slice by more than its standard error: it does not rank the queue and is not fine-tuned">regression</span>}
                  </div>
                  <div className="whitespace-nowrap text-xs text-zinc-500">{date(r.finishedAt ?? r.createdAt)}</div>
                  {now && <ProgressLine p={now.progress} status={now.status} />}
                  {canCancel && now && isActive(now) && (
                    <button className="text-xs text-red-600 hover:underline" onClick={() => onCancel(r.roundId)}>cancel</button>
                  )}
                </>
              );
            },
          },
          { header: 'Student', cell: (r) => <>{r.arch}<div className="text-xs text-zinc-500">{r.backend ?? '—'}</div></> },
          { header: 'Training set', num: true, cell: (r) => <>{int(r.trainExamples)}<div className="whitespace-nowrap text-xs text-zinc-500">{int(r.humanLabelled)} human</div></> },
          { header: 'F1 vs teacher', num: true, cell: (r) => <Scores s={r.vsTeacher} /> },
          { header: 'F1 vs human', num: true, cell: (r) => <Scores s={r.vsHuman} /> },
          { header: 'Acc. vs human', num: true, cell: (r) => f3(r.vsHuman?.accuracy) },
          {
            header: 'Yield',
            num: true,
            td: () => ({ title: 'Share of labels that overruled the teacher while this round’s student ranked the queue (random audit picks in brackets)' }),
            cell: (r) => (r.yield && r.yield.answered ? <>{pct(r.yield.rate)}<div className="whitespace-nowrap text-xs text-zinc-500">of {r.yield.answered}{r.yield.auditRate != null ? ` (${pct(r.yield.auditRate, 0)})` : ''}</div></> : <span className="text-zinc-400">—</span>),
          },
          {
            header: 'Gain / 100 labels',
            num: true,
            td: (r) => ({ 'data-testid': `gain-${r.number}` }),
            cell: (r) =>
              r.return?.gainPer100 != null ? (
                <span className="whitespace-nowrap">
                  {signed(r.return.gainPer100)} <span className="text-xs text-zinc-500">± {r.return.gainPer100Se!.toFixed(1)} pt</span>
                </span>
              ) : r.return ? (
                <span className="text-xs text-zinc-500">no new labels</span>
              ) : (
                <span className="text-zinc-400">—</span>
              ),
          },
          { header: 'Changed', num: true, td: () => ({ title: 'Share of pool predictions that differ from the previous student (Cohen’s κ)' }), cell: (r) => (r.return?.pool ? <span className="whitespace-nowrap">{pct(r.return.pool.changedShare, 2)}<div className="text-xs text-zinc-500">κ {r.return.pool.kappa.toFixed(3)}</div></span> : <span className="text-zinc-400">—</span>) },
          { header: 'Training time', num: true, className: 'whitespace-nowrap', cell: (r) => (r.trainSeconds != null ? formatSeconds(r.trainSeconds) : '—') },
          { header: 'Items/s', num: true, td: () => ({ title: 'The student scoring the pool with onnxruntime (1 thread); p50 latency of one item' }), cell: (r) => <>{int(r.itemsPerSecond)}{r.latencyP50Ms != null && <div className="whitespace-nowrap text-xs text-zinc-500">p50 {r.latencyP50Ms.toFixed(2)} ms</div>}</> },
        ]}
      />
    </div>
  );
}
