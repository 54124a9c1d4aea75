'use client';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { ReportCard } from '@/components/rounds/RoundDetail';
import { useRound, type Dashboard } from '@/components/rounds/queries';
import { AXIS_TICK, ChartCard, COLORS, GRID, xTitle, yTitle } from './ChartCard';

/** Per-class precision/recall/F1 and the confusion heatmaps of one round (the latest finished one unless chosen). */
export function ClassReport({ d }: { d: Dashboard }) {
  const done = d.rounds.filter((r) => r.status === 'succeeded');
  const [chosen, setChosen] = useState<number | null>(null);
  const roundId = chosen ?? done[done.length - 1]?.roundId ?? null;
  const q = useRound(roundId);
  const m = q.data?.metrics;
  if (!done.length) return null;
  const labels = m?.vsHuman?.labels ?? m?.vsTeacher?.labels ?? [];
  const data = labels.map((label, i) => ({ label, teacher: m?.vsTeacher?.perClass[i]?.f1 ?? null, human: m?.vsHuman?.perClass[i]?.f1 ?? null }));
  return (
    <section className="space-y-4" data-testid="class-report">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="text-base font-semibold">Per class</h2>
        <label className="text-xs text-zinc-500" htmlFor="class-round">round</label>
        <select id="class-round" className="input py-1" value={roundId ?? ''} onChange={(e) => setChosen(Number(e.target.value))}>
          {[...done].reverse().map((r) => <option key={r.roundId} value={r.roundId}>#{r.number}</option>)}
        </select>
      </div>
      {labels.length > 0 && labels.length <= 24 && (
        <ChartCard title="F1 per class" note="The selected round's student on the temporal test slice, against the teacher's decision and against human labels." testId="chart-per-class" points={data.length} height={220}>
          <BarChart data={data} margin={{ top: 4, right: 12, bottom: 18, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke={GRID} vertical={false} />
            <XAxis dataKey="label" tick={AXIS_TICK} interval={0} label={xTitle('class')} />
            <YAxis domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} tick={AXIS_TICK} width={56} tickFormatter={(v: number) => v.toFixed(1)} label={yTitle('F1')} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : '—')} />
            <Legend verticalAlign="top" height={26} iconSize={10} wrapperStyle={{ fontSize: 11 }} />
            <Bar dataKey="teacher" name="vs teacher" fill={COLORS.teacher} isAnimationActive={false} maxBarSize={40} />
            <Bar dataKey="human" name="vs human labels" fill={COLORS.human} isAnimationActive={false} maxBarSize={40} />
          </BarChart>
        </ChartCard>
      )}
      {m ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <ReportCard title="Student vs teacher" r={m.vsTeacher} predictedBy="student" reference="teacher" testid="class-vs-teacher" />
          <ReportCard title="Student vs human labels" r={m.vsHuman} predictedBy="student" reference="human label" testid="class-vs-human" />
        </div>
      ) : (
        <p className="text-zinc-500">{q.error ? (q.error as Error).message : 'Loading…'}</p>
      )}
    </section>
  );
}
