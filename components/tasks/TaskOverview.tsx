'use client';
import Link from 'next/link';
import { f3, int } from '@/components/format';
import { DataTable } from '@/components/ui/DataTable';
import { ProgressLine } from '@/components/rounds/RoundProgress';
import { useTaskOverview, type Overview } from '@/components/rounds/queries';

/** Each phase of a task at a glance: latest round, deployed model, queue size, labels today (in the browser's time zone: refetched at once). Polls while a round runs. */
export function TaskOverview({ initial }: { initial: Overview }) {
  const q = useTaskOverview(initial.taskId);
  const o = q.data ?? initial;
  return (
    <section className="card mb-4" data-testid="task-overview">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Overview</h2>
      <div className="overflow-x-auto">
        <DataTable
          rows={o.phases}
          rowKey={(p) => p.phaseId}
          rowTestId={(p) => `overview-${p.key}`}
          columns={[
            // The phase's name links from its card below; here the row leads to the dashboard.
            { header: 'Phase', cell: (p) => <><span className="font-medium">{p.position + 1}. {p.name}</span><div><Link className="text-xs text-indigo-700 hover:underline" href={`/phases/${p.phaseId}/dashboard`} data-testid="overview-dashboard">dashboard →</Link></div></> },
            {
              header: 'Latest round',
              cell: (p) =>
                p.latestRound ? (
                  <div data-testid="overview-round">
                    <span className="font-medium">#{p.latestRound.number}</span> <span className="badge">{p.latestRound.status}</span>
                    {p.latestRound.trigger === 'auto' && <span className="badge ml-1">auto</span>}
                    {p.latestRound.regression && <span className="badge ml-1 bg-amber-50 text-amber-800">regression</span>}
                    <ProgressLine p={p.latestRound.progress} status={p.latestRound.status} />
                    {p.latestRound.status === 'succeeded' && <div className="text-xs text-zinc-500">F1 vs teacher {f3(p.latestRound.f1VsTeacher)} · accuracy vs human {f3(p.latestRound.accuracyVsHuman)}</div>}
                  </div>
                ) : (
                  <span className="text-zinc-400">none yet</span>
                ),
            },
            { header: 'Deployed', cell: (p) => (p.deployed ? <Link className="text-indigo-700 hover:underline" href={`/models/${p.deployed.modelId}`}>{p.deployed.version}</Link> : <span className="text-zinc-400">nothing live</span>) },
            { header: 'Queue', num: true, cell: (p) => (p.queue ? <>{int(p.queue.open)}<div className="text-xs text-zinc-500">open of {int(p.queue.total)}</div></> : <span className="text-zinc-400">not built</span>) },
            { header: 'Labels today', num: true, td: (p) => ({ 'data-testid': `labels-today-${p.key}` }), cell: (p) => <>{int(p.labelsToday)}<div className="text-xs text-zinc-500">{int(p.labelsTotal)} in all</div></> },
          ]}
        />
      </div>
    </section>
  );
}
