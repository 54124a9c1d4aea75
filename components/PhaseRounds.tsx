'use client';
import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from './api';
import { duration, f3, int } from './format';
import { ProgressLine } from './RoundProgress';
import type { Round } from './rounds-types';
import { QueueYield } from './QueueYield';

const active = (r: Round) => r.status === 'queued' || r.status === 'running';

export function PhaseRounds({ phaseId, canStart }: { phaseId: number; canStart: boolean }) {
  const qc = useQueryClient();
  const rounds = useQuery({
    queryKey: ['rounds', phaseId],
    queryFn: () => api<{ rounds: Round[] }>(`/api/phases/${phaseId}/rounds`).then((r) => r.rounds),
    refetchInterval: (q) => (q.state.data?.some(active) ? 2000 : 15000),
  });
  const cancel = useMutation({
    mutationFn: (id: number) => api(`/api/rounds/${id}/cancel`, { method: 'POST' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['rounds', phaseId] }),
  });
  const list = rounds.data ?? [];
  return (
    <div>
      <table className="data" data-testid={`rounds-${phaseId}`}>
        <thead>
          <tr>
            <th className="num">Round</th><th>Status</th><th>Student</th><th>Backend</th>
            <th className="num">F1 vs teacher</th><th className="num">F1 vs human</th><th className="num">Acc. vs teacher</th>
            <th className="num">Train ex/s</th><th className="num">Scoring items/s</th><th>Duration</th><th />
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.id} data-testid={`round-row-${r.number}`}>
              <td className="num"><Link className="font-medium text-indigo-700 hover:underline" href={`/rounds/${r.id}`}>#{r.number}</Link></td>
              <td>
                <span className={`badge ${r.status === 'succeeded' ? 'bg-green-50 text-green-800' : r.status === 'failed' ? 'bg-red-50 text-red-800' : ''}`} data-testid="round-status">{r.status}</span>
                {r.job && r.job.attempts > 1 && <span className="ml-1 text-xs text-zinc-500">attempt {r.job.attempts}</span>}
                {r.metrics?.regression?.flagged && (
                  <span className="badge ml-1 bg-amber-50 text-amber-800" data-testid="round-regression" title={`Validation accuracy ${f3(r.metrics.regression.accuracy)} is below round ${r.metrics.regression.best?.roundNumber}'s ${f3(r.metrics.regression.best?.accuracy)} by more than its standard error (±${f3(r.metrics.regression.se)}): this student does not rank the queue and is not fine-tuned further.`}>
                    regression
                  </span>
                )}
                <ProgressLine p={r.progress} status={r.status} />
                {r.error && r.status !== 'succeeded' && <div className="max-w-xs truncate text-xs text-red-700" title={r.error}>{r.error}</div>}
              </td>
              <td className="text-xs">{r.config.model.arch}{r.config.useTeacher === false ? ' · human labels only' : ''}<div className="text-zinc-500">T={String(r.config.train.temperature)} α={String(r.config.train.alpha)} {String(r.config.train.epochs)} ep</div></td>
              <td className="text-xs">{r.backend ?? '—'}</td>
              <td className="num">{f3(r.metrics?.vsTeacher?.macroF1)}</td>
              <td className="num">{f3(r.metrics?.vsHuman?.macroF1)}</td>
              <td className="num">{f3(r.metrics?.vsTeacher?.accuracy)}</td>
              <td className="num">{int(r.metrics?.trainExamplesPerSecond)}</td>
              <td className="num">{int(r.metrics?.scoring.itemsPerSecond)}</td>
              <td className="text-xs text-zinc-500">{duration(r.startedAt, r.finishedAt)}</td>
              <td>{canStart && active(r) && <button className="text-xs text-red-600 hover:underline" onClick={() => cancel.mutate(r.id)}>cancel</button>}</td>
            </tr>
          ))}
          {list.length === 0 && <tr><td colSpan={11} className="py-4 text-center text-zinc-500">{rounds.isLoading ? 'Loading…' : 'No rounds yet.'}</td></tr>}
        </tbody>
      </table>
      <QueueYield phaseId={phaseId} />
      {canStart && <StartRoundForm phaseId={phaseId} disabled={list.some(active)} />}
    </div>
  );
}

function StartRoundForm({ phaseId, disabled }: { phaseId: number; disabled: boolean }) {
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: (body: unknown) => api(`/api/phases/${phaseId}/rounds`, { body }),
    onSuccess: () => {
      setError(null);
      qc.invalidateQueries({ queryKey: ['rounds', phaseId] });
      qc.invalidateQueries({ queryKey: ['jobs'] });
    },
    onError: (e) => setError((e as Error).message),
  });
  return (
    <details className="border-t border-zinc-200 px-4 py-3">
      <summary className="cursor-pointer text-sm font-medium text-indigo-700">Start a round</summary>
      <form
        className="mt-3 flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const n = (k: string) => Number(f.get(k));
          start.mutate({
            model: { arch: f.get('arch') },
            train: { epochs: n('epochs'), temperature: n('temperature'), alpha: n('alpha') },
            humanWeight: n('humanWeight'),
            sampling: f.get('sampling'),
            useTeacher: f.get('useTeacher') === 'on',
          });
        }}
      >
        <div><label className="label" htmlFor={`arch-${phaseId}`}>Student</label><select id={`arch-${phaseId}`} name="arch" className="input"><option value="textcnn">TextCNN</option><option value="bilstm">BiLSTM</option></select></div>
        <div><label className="label" htmlFor={`epochs-${phaseId}`}>Epochs</label><input id={`epochs-${phaseId}`} name="epochs" type="number" min={1} max={100} defaultValue={4} className="input w-20" /></div>
        <div><label className="label" htmlFor={`t-${phaseId}`}>Temperature T</label><input id={`t-${phaseId}`} name="temperature" type="number" step="0.1" min={0.1} defaultValue={2} className="input w-24" /></div>
        <div><label className="label" htmlFor={`a-${phaseId}`}>Alpha</label><input id={`a-${phaseId}`} name="alpha" type="number" step="0.05" min={0} max={1} defaultValue={0.5} className="input w-20" /></div>
        <div><label className="label" htmlFor={`hw-${phaseId}`}>Human label weight</label><input id={`hw-${phaseId}`} name="humanWeight" type="number" step="0.5" min={0} defaultValue={5} className="input w-24" /></div>
        <div><label className="label" htmlFor={`s-${phaseId}`}>Sampling</label><select id={`s-${phaseId}`} name="sampling" className="input"><option value="uniform">uniform</option><option value="loss">oversample last student’s failures (fidelity to the teacher)</option></select></div>
        <label className="flex items-center gap-1.5 pb-1.5"><input type="checkbox" name="useTeacher" defaultChecked /> distil from the teacher</label>
        <button className="btn btn-primary" disabled={disabled || start.isPending}>{disabled ? 'A round is running' : 'Start round'}</button>
      </form>
      {error && <p className="mt-2 text-red-600" role="alert">{error}</p>}
    </details>
  );
}
