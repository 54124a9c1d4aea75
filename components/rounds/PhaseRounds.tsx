'use client';
import Link from 'next/link';
import { useState } from 'react';
import { duration, f3, int } from '@/components/format';
import { DataTable } from '@/components/ui/DataTable';
import { withFormData } from '@/components/ui/form-data';
import { parseRoundConfig } from '@/lib/rounds/config';
import { ProgressLine } from './RoundProgress';
import { QueueYield } from './QueueYield';
import { isActive as active, useCancelRound, useRounds, useStartRound } from './queries';

export function PhaseRounds({ phaseId, canStart }: { phaseId: number; canStart: boolean }) {
  const rounds = useRounds(phaseId);
  const cancel = useCancelRound(phaseId);
  const list = rounds.data ?? [];
  return (
    <div>
      <DataTable
        testId={`rounds-${phaseId}`}
        rows={list}
        rowKey={(r) => r.id}
        rowTestId={(r) => `round-row-${r.number}`}
        empty={rounds.isLoading ? 'Loading…' : 'No rounds yet.'}
        columns={[
          { header: 'Round', num: true, cell: (r) => <Link className="font-medium text-indigo-700 hover:underline" href={`/rounds/${r.id}`}>#{r.number}</Link> },
          {
            header: 'Status',
            cell: (r) => (
              <>
                <span className={`badge ${r.status === 'succeeded' ? 'bg-green-50 text-green-800' : r.status === 'failed' ? 'bg-red-50 text-red-800' : ''}`} data-testid="round-status">{r.status}</span>
                {r.job && r.job.attempts > 1 && <span className="ml-1 text-xs text-zinc-500">attempt {r.job.attempts}</span>}
                {r.metrics?.regression?.flagged && (
                  <span className="badge ml-1 bg-amber-50 text-amber-800" data-testid="round-regression" title={`Validation accuracy ${f3(r.metrics.regression.accuracy)} is below round ${r.metrics.regression.best?.roundNumber}'s ${f3(r.metrics.regression.best?.accuracy)} by more than its standard error (±${f3(r.metrics.regression.se)}): this student does not rank the queue and is not fine-tuned further.`}>
                    regression
                  </span>
                )}
                <ProgressLine p={r.progress} status={r.status} />
                {r.error && r.status !== 'succeeded' && <div className="max-w-xs truncate text-xs text-red-700" title={r.error}>{r.error}</div>}
              </>
            ),
          },
          { header: 'Student', className: 'text-xs', cell: (r) => <>{r.config.model.arch}{r.config.useTeacher === false ? ' · human labels only' : ''}<div className="text-zinc-500">T={String(r.config.train.temperature)} α={String(r.config.train.alpha)} {String(r.config.train.epochs)} ep</div></> },
          { header: 'Backend', className: 'text-xs', cell: (r) => r.backend ?? '—' },
          { header: 'F1 vs teacher', num: true, cell: (r) => f3(r.metrics?.vsTeacher?.macroF1) },
          { header: 'F1 vs human', num: true, cell: (r) => f3(r.metrics?.vsHuman?.macroF1) },
          { header: 'Acc. vs human', num: true, cell: (r) => f3(r.metrics?.vsHuman?.accuracy) },
          { header: 'Validation acc.', num: true, cell: (r) => f3(r.metrics?.validation?.accuracy) },
          { header: 'Acc. vs teacher', num: true, cell: (r) => f3(r.metrics?.vsTeacher?.accuracy) },
          { header: 'Train ex/s', num: true, cell: (r) => int(r.metrics?.trainExamplesPerSecond) },
          { header: 'Scoring items/s', num: true, cell: (r) => int(r.metrics?.scoring.itemsPerSecond) },
          { header: 'Duration', className: 'text-xs text-zinc-500', cell: (r) => duration(r.startedAt, r.finishedAt) },
          { header: null, cell: (r) => canStart && active(r) && <button className="text-xs text-red-600 hover:underline" onClick={() => cancel.mutate(r.id)}>cancel</button> },
        ]}
      />
      <QueueYield phaseId={phaseId} />
      {canStart && <StartRoundForm phaseId={phaseId} disabled={list.some(active)} />}
    </div>
  );
}

/** The form starts from the round defaults the server applies (parseRoundConfig), so an untouched form starts the default round. */
const DEFAULTS = parseRoundConfig({});
const ARCHES = [
  ['ngram', 'n-gram'],
  ['textcnn', 'TextCNN'],
  ['bilstm', 'BiLSTM'],
] as const;

/** A lead's form for a round's config; `open` shows it unfolded at first (a dashboard without rounds). */
export function StartRoundForm({ phaseId, disabled, open = false }: { phaseId: number; disabled: boolean; open?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  // `open` is where it starts; afterwards the user's toggle decides.
  const [shown, setShown] = useState(open);
  const start = useStartRound(phaseId);
  return (
    <details className="border-t border-zinc-200 px-4 py-3" open={shown} onToggle={(e) => setShown(e.currentTarget.open)} data-testid="start-round">
      <summary className="cursor-pointer text-sm font-medium text-indigo-700">Start a round</summary>
      <form
        className="mt-3 flex flex-wrap items-end gap-3"
        onSubmit={withFormData((f) => {
          const n = (k: string) => Number(f.get(k));
          start.mutate(
            {
              model: { arch: f.get('arch') },
              train: { epochs: n('epochs'), temperature: n('temperature'), alpha: n('alpha') },
              humanWeight: n('humanWeight'),
              sampling: f.get('sampling'),
              selectBy: f.get('selectBy'),
              useTeacher: f.get('useTeacher') === 'on',
            },
            { onSuccess: () => setError(null), onError: (e) => setError((e as Error).message) },
          );
        })}
      >
        <div><label className="label" htmlFor={`arch-${phaseId}`}>Student</label><select id={`arch-${phaseId}`} name="arch" className="input" defaultValue={DEFAULTS.model.arch}>{ARCHES.map(([v, name]) => <option key={v} value={v}>{name}</option>)}</select></div>
        <div><label className="label" htmlFor={`epochs-${phaseId}`}>Max epochs</label><input id={`epochs-${phaseId}`} name="epochs" type="number" min={1} max={100} defaultValue={DEFAULTS.train.epochs} className="input w-20" /></div>
        <div><label className="label" htmlFor={`t-${phaseId}`}>Temperature T</label><input id={`t-${phaseId}`} name="temperature" type="number" step="0.1" min={0.1} defaultValue={DEFAULTS.train.temperature} className="input w-24" /></div>
        <div><label className="label" htmlFor={`a-${phaseId}`}>Alpha</label><input id={`a-${phaseId}`} name="alpha" type="number" step="0.05" min={0} max={1} defaultValue={DEFAULTS.train.alpha} className="input w-20" /></div>
        <div><label className="label" htmlFor={`hw-${phaseId}`}>Human label weight</label><input id={`hw-${phaseId}`} name="humanWeight" type="number" step="0.5" min={0} defaultValue={DEFAULTS.humanWeight} className="input w-24" /></div>
        <div className="min-w-0 max-w-full"><label className="label" htmlFor={`s-${phaseId}`}>Sampling</label><select id={`s-${phaseId}`} name="sampling" className="input max-w-full" defaultValue={DEFAULTS.sampling}><option value="uniform">uniform</option><option value="loss">oversample last student’s failures (fidelity to the teacher)</option></select></div>
        <div><label className="label" htmlFor={`sel-${phaseId}`}>Keep the epoch with the best</label><select id={`sel-${phaseId}`} name="selectBy" className="input" defaultValue={DEFAULTS.selectBy}><option value="loss">validation log-likelihood</option><option value="accuracy">validation accuracy</option></select></div>
        <label className="flex items-center gap-1.5 pb-1.5"><input type="checkbox" name="useTeacher" defaultChecked={DEFAULTS.useTeacher} /> distil from the teacher</label>
        <button className="btn btn-primary" disabled={disabled || start.isPending}>{disabled ? 'A round is running' : 'Start round'}</button>
      </form>
      {error && <p className="mt-2 text-red-600" role="alert">{error}</p>}
    </details>
  );
}
