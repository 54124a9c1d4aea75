'use client';
import { duration } from '@/components/format';
import { DataTable } from '@/components/ui/DataTable';
import { ProgressLine } from './RoundProgress';
import type { JobRow } from './types';
import { useJobs } from './queries';

/** A running job whose worker stopped heartbeating: it waits for a worker to reclaim it. */
const stalled = (j: JobRow) => j.status === 'running' && j.leaseExpiresAt != null && new Date(j.leaseExpiresAt).getTime() < Date.now();

/** Background work in progress: teacher training, rounds. Hidden when nothing runs. */
export function JobsPanel() {
  const jobs = useJobs();
  const list = jobs.data ?? [];
  if (!list.length) return null;
  return (
    <section className="card mb-4" data-testid="jobs-panel">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Background work</h2>
      <DataTable
        rows={[...list].reverse()}
        rowKey={(j) => j.id}
        columns={[
          { header: 'Job', num: true, cell: (j) => j.id },
          { header: 'Type', cell: (j) => <>{j.type === 'demo.teacher' ? 'reference teacher' : j.type}{j.payload && typeof j.payload === 'object' && 'phaseId' in j.payload ? <span className="text-xs text-zinc-500"> · phase {String((j.payload as { phaseId: number }).phaseId)}</span> : null}</> },
          {
            header: 'Status',
            cell: (j) => (
              <>
                <span className="badge">{j.status}</span>{j.attempts > 1 && <span className="ml-1 text-xs text-zinc-500">attempt {j.attempts}</span>}
                {stalled(j) ? <div className="text-xs text-amber-700" data-testid="job-stalled">its worker stopped answering (lease expired {duration(j.leaseExpiresAt)} ago); the next worker to start takes it over from its last checkpoint</div> : <ProgressLine p={j.progress} status={j.status} />}
              </>
            ),
          },
          { header: 'Worker', className: 'text-xs text-zinc-500', cell: (j) => j.worker ?? '—' },
          { header: 'Running for', className: 'text-xs text-zinc-500', cell: (j) => (j.status === 'running' ? duration(j.startedAt) : 'queued') },
        ]}
      />
    </section>
  );
}
