'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { api } from '@/components/api';
import { f3 } from '@/components/format';
import { ModelActions, PhaseServingBar } from './ModelControls';
import type { ModelRow } from './types';

const statusClass: Record<string, string> = {
  deployed: 'bg-green-50 text-green-800',
  approved: 'bg-indigo-50 text-indigo-800',
  rejected: 'bg-red-50 text-red-800',
  retired: 'bg-zinc-100 text-zinc-600',
};

/** The registry: per phase, what serves it and every student with its status and metrics. */
export function ModelRegistry({ canManage }: { canManage: boolean }) {
  const q = useQuery({ queryKey: ['models'], queryFn: () => api<{ models: ModelRow[] }>('/api/models').then((r) => r.models), refetchInterval: 10_000 });
  const models = q.data ?? [];
  const phases = [...new Map(models.map((m) => [m.phaseId, m.phaseName])).entries()];
  if (!models.length) return <section className="card py-6 text-center text-zinc-500">{q.isLoading ? 'Loading…' : 'No student has been trained yet.'}</section>;
  return (
    <>
      {phases.map(([phaseId, phaseName]) => (
        <section key={phaseId} className="card mb-4">
          <PhaseServingBar phaseId={phaseId} phaseName={phaseName} canManage={canManage} />
          <table className="data">
            <thead>
              <tr><th>Version</th><th>Architecture</th><th>Status</th><th>Serving</th><th className="num">F1 vs teacher</th><th className="num">F1 vs human</th><th className="num">p50 ms</th><th>Approved</th>{canManage && <th />}</tr>
            </thead>
            <tbody>
              {models.filter((m) => m.phaseId === phaseId).map((m) => (
                <tr key={m.id} data-testid={`model-row-${m.id}`}>
                  <td><Link className="font-medium text-indigo-700 hover:underline" href={`/models/${m.id}`}>{m.version}</Link></td>
                  <td>{m.arch}</td>
                  <td><span className={`badge ${statusClass[m.status] ?? ''}`} data-testid="model-status">{m.status}</span></td>
                  <td className="text-xs">{m.serving ? `${m.serving.kind}${m.serving.kind === 'canary' ? ` ${Math.round(m.serving.share * 100)} %` : ''}` : '—'}</td>
                  <td className="num">{f3(m.metrics.macroF1VsTeacher)}</td>
                  <td className="num">{f3(m.metrics.macroF1VsHuman)}</td>
                  <td className="num">{m.metrics.batch1P50Ms == null ? '—' : m.metrics.batch1P50Ms.toFixed(3)}</td>
                  <td className="text-xs text-zinc-500">{m.approvedBy ? `${m.approvedBy.name}${m.reviewNote ? `: “${m.reviewNote}”` : ''}` : '—'}</td>
                  {canManage && <td><ModelActions model={m} /></td>}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}
