'use client';
import { useState } from 'react';
import { f3, int, pct } from '@/components/format';
import { DataTable } from '@/components/ui/DataTable';
import { signed } from '@/lib/rounds/returns.ts';
import { withFormData } from '@/components/ui/form-data';
import { StartRoundForm } from '@/components/rounds/PhaseRounds';
import { isActive, useAutoRounds, useCancelRound, useDashboard, useRefreshOnRoundChange, useRounds, type Dashboard } from '@/components/rounds/queries';
import { RoundsTable } from './RoundsTable';
import { TrendCharts } from './TrendCharts';
import { ClassReport } from './ClassReport';
import { RoundCompare } from './RoundCompare';

function Stat({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId?: string }) {
  return (
    <div className="card min-w-0 px-3 py-2">
      <div className="text-xs text-zinc-500">{label}</div>
      <div className="truncate text-lg font-semibold tabular-nums" data-testid={testId}>{value}</div>
      {sub && <div className="text-xs text-zinc-500">{sub}</div>}
    </div>
  );
}

const STOP_STYLE = { stop: 'border-amber-300 bg-amber-50 text-amber-900', 'keep-going': 'border-indigo-200 bg-indigo-50 text-indigo-900', 'too-early': 'border-zinc-200 bg-white text-zinc-700' } as const;
const STOP_WORDS = { stop: 'Further rounds stop paying', 'keep-going': 'Rounds still pay', 'too-early': 'Too early to tell' } as const;

function StoppingBanner({ d }: { d: Dashboard }) {
  const s = d.stopping;
  return (
    <div className={`rounded-md border px-4 py-2.5 ${STOP_STYLE[s.state]}`} data-testid="stopping-signal" data-state={s.state} role="status">
      <b>{STOP_WORDS[s.state]}:</b> {s.reason}.
      <span className="mt-0.5 block text-xs opacity-75">
        Rule: stop when the last student changed the pool&apos;s predictions so little that Cohen&apos;s κ with the one before is ≥ {s.options.kappaThreshold}, and its gain against human labels is within ±{s.options.z} standard errors of zero.
      </span>
    </div>
  );
}

function AutoRounds({ d }: { d: Dashboard }) {
  const save = useAutoRounds(d.phase.id);
  const [error, setError] = useState<string | null>(null);
  const on = d.phase.autoRoundAfterLabels;
  return (
    <form
      className="flex flex-wrap items-end gap-2 border-t border-zinc-200 px-4 py-3"
      data-testid="auto-rounds"
      onSubmit={withFormData((f) => save.mutate(Number(f.get('after')), { onSuccess: () => setError(null), onError: (e) => setError((e as Error).message) }))}
    >
      <div>
        <label className="label" htmlFor="auto-after">Start a round by itself after this many new human labels</label>
        <input id="auto-after" name="after" type="number" min={1} required defaultValue={on ?? 100} className="input w-28" />
      </div>
      <button className="btn">{on ? 'Change' : 'Turn on'}</button>
      {on != null && <button type="button" className="btn" onClick={() => save.mutate(null)}>Turn off</button>}
      <p className="w-full text-xs text-zinc-500">
        {on ? `On: ${int(d.newLabels)} of ${int(on)} new human labels since the last round started; a worker checks every few seconds and repeats the last finished round's settings.` : `Off. ${int(d.newLabels)} new human labels since the last round started.`}
      </p>
      {error && <p className="w-full text-red-600" role="alert">{error}</p>}
    </form>
  );
}

function Annotators({ d }: { d: Dashboard }) {
  return (
    <section className="card" data-testid="annotators">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Human labels per annotator</h2>
      <div className="overflow-x-auto">
        <DataTable
          rows={d.annotators}
          rowKey={(a) => a.userId}
          empty="No labels yet."
          columns={[
            { header: 'Annotator', cell: (a) => a.name },
            { header: 'Labels', num: true, cell: (a) => int(a.labels) },
            { header: 'Overruled the teacher', num: true, cell: (a) => (a.labels ? pct(a.overruledTeacher / a.labels) : '—') },
            { header: 'Per round that ranked the queue', className: 'text-xs text-zinc-600', cell: (a) => Object.entries(a.byRound).map(([k, n]) => `${k === 'none' ? 'no student' : `#${k}`}: ${n}`).join(' · ') },
          ]}
        />
      </div>
    </section>
  );
}

/** A phase's dashboard: live rounds, the rounds table, charts across rounds, per class, comparison, labels. */
export function PhaseDashboard({ phaseId, canStart }: { phaseId: number; canStart: boolean }) {
  const dash = useDashboard(phaseId);
  const rounds = useRounds(phaseId);
  const cancel = useCancelRound(phaseId);
  useRefreshOnRoundChange(phaseId, rounds.data);
  const d = dash.data;
  if (!d) return <p className="text-zinc-500">{dash.error ? (dash.error as Error).message : 'Loading…'}</p>;
  const live = new Map((rounds.data ?? []).map((r) => [r.number, r]));
  const running = (rounds.data ?? []).some(isActive);
  const done = d.rounds.filter((r) => r.status === 'succeeded');
  const last = done[done.length - 1];
  const lastReturn = [...d.rounds].reverse().find((r) => r.return?.gainPer100 != null)?.return;
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <Stat label="Rounds" value={int(d.rounds.length)} sub={`${done.length} finished`} testId="stat-rounds" />
        <Stat label="Latest F1 vs teacher" value={f3(last?.vsTeacher?.f1)} sub={last ? `round #${last.number}` : 'no student yet'} />
        <Stat label="Latest accuracy vs human" value={f3(last?.vsHuman?.accuracy)} sub={last?.vsHuman ? `${int(last.vsHuman.items)} labelled test items` : undefined} />
        <Stat label="Last gain / 100 labels" value={lastReturn?.gainPer100 != null ? `${signed(lastReturn.gainPer100)} pt` : '—'} sub={lastReturn?.gainPer100Se != null ? `± ${lastReturn.gainPer100Se.toFixed(1)} (standard error)` : undefined} />
        <Stat label="Queue" value={d.queue ? int(d.queue.open) : '—'} sub={d.queue ? `open of ${int(d.queue.total)}` : 'not built yet'} />
        <Stat label="New labels" value={int(d.newLabels)} sub="since the last round" testId="stat-new-labels" />
      </div>
      <StoppingBanner d={d} />
      <section className="card">
        <header className="flex flex-wrap items-baseline justify-between gap-2 border-b border-zinc-200 px-4 py-2">
          <h2 className="font-semibold">Rounds</h2>
          <span className="text-xs text-zinc-500">metrics on the temporal test slice · newest first</span>
        </header>
        <RoundsTable d={d} live={live} canCancel={canStart} onCancel={(id) => cancel.mutate(id)} />
        {canStart && <StartRoundForm phaseId={phaseId} disabled={running} open={d.rounds.length === 0} />}
        {canStart && <AutoRounds d={d} />}
      </section>
      <TrendCharts d={d} />
      <ClassReport d={d} />
      <RoundCompare d={d} />
      <Annotators d={d} />
    </div>
  );
}
