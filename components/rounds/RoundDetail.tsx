'use client';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { duration, f3, int, pct } from '@/components/format';
import { ProgressLine } from './RoundProgress';
import type { Report } from './types';
import { useRound } from './queries';
import { ConfusionHeatmap } from './ConfusionHeatmap';

export function RoundDetail({ roundId }: { roundId: number }) {
  const q = useRound(roundId);
  const r = q.data;
  if (!r) return <p className="text-zinc-500">{q.error ? (q.error as Error).message : 'Loading…'}</p>;
  const m = r.metrics;
  const history = m?.history ?? r.progress?.history ?? [];
  const curve = history.map((h) => ({ epoch: h.epoch + 1, loss: Number(h.loss.toFixed(5)), exps: Math.round(h.examplesPerSecond) }));
  return (
    <div className="space-y-4">
      <section className="card grid grid-cols-2 gap-4 p-4 md:grid-cols-4">
        <Stat label="Status" value={r.status} testid="round-status" />
        <Stat label="Backend" value={r.backend ?? '—'} />
        <Stat label="Duration" value={duration(r.startedAt, r.finishedAt)} />
        <Stat label="Attempts" value={r.job ? `${r.job.attempts} / ${r.job.maxAttempts}` : '—'} />
        <div className="col-span-2 md:col-span-4"><ProgressLine p={r.progress} status={r.status} /></div>
        {r.error && <p className="col-span-2 text-red-700 md:col-span-4">{r.error}</p>}
        <div className="col-span-2 text-xs text-zinc-500 md:col-span-4">
          {r.config.model.arch} {JSON.stringify(r.config.model)} · T = {String(r.config.train.temperature)}, alpha = {String(r.config.train.alpha)}, {String(r.config.train.epochs)} epochs, loss {String(r.config.train.loss)} · human weight {r.config.humanWeight} · sampling {r.config.sampling}{r.config.useTeacher === false ? ' · human labels only (no teacher)' : ''}
        </div>
      </section>
      <section className="card p-4">
        <h2 className="mb-2 font-semibold">Training loss per epoch</h2>
        {curve.length ? (
          <div className="h-56" data-testid="loss-chart">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={curve} margin={{ top: 5, right: 20, bottom: 5, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e4e4e7" />
                <XAxis dataKey="epoch" label={{ value: 'epoch', position: 'insideBottomRight', offset: -2 }} />
                <YAxis domain={['auto', 'auto']} width={60} />
                <Tooltip />
                <Line type="monotone" dataKey="loss" stroke="#4f46e5" strokeWidth={2} dot isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        ) : (
          <p className="text-zinc-500">The curve appears when the first epoch ends.</p>
        )}
      </section>
      {m && (
        <>
          <section className="card grid grid-cols-2 gap-4 p-4 md:grid-cols-4">
            <Stat label="Training examples" value={`${int(m.trainExamples)} (${int(m.humanLabelled)} human)`} />
            <Stat label="Training speed" value={`${int(m.trainExamplesPerSecond)} ex/s`} />
            <Stat label="Scoring (onnxruntime)" value={`${int(m.scoring.itemsPerSecond)} items/s`} />
            <Stat label="Latency, batch 1" value={`p50 ${m.latency.batch1P50Ms.toFixed(2)} ms · p95 ${m.latency.batch1P95Ms.toFixed(2)} ms`} />
            <Stat label="Test slice" value={`${int(m.testItems)} items`} />
            <Stat label="Majority class vs teacher" value={m.majorityVsTeacher ? `acc ${pct(m.majorityVsTeacher.accuracy)} · F1 ${f3(m.majorityVsTeacher.macroF1)}` : '—'} />
            <Stat label="Pool disagreement" value={`mean JS ${m.scoring.meanJs.toFixed(4)} · ${int(m.scoring.flips)} flips`} />
            <Stat label="Vocabulary" value={int(m.vocabSize)} />
          </section>
          <div className="grid gap-4 lg:grid-cols-3">
            <ReportCard title="Student vs teacher" r={m.vsTeacher} predictedBy="student" reference="teacher" testid="report-vs-teacher" />
            <ReportCard title="Student vs human labels" r={m.vsHuman} predictedBy="student" reference="human" testid="report-vs-human" />
            <ReportCard title="Teacher vs human labels" r={m.teacherVsHuman} predictedBy="teacher" reference="human" />
          </div>
        </>
      )}
    </div>
  );
}

function Stat({ label, value, testid }: { label: string; value: string; testid?: string }) {
  return (
    <div>
      <div className="text-xs text-zinc-500">{label}</div>
      <div className="font-semibold tabular-nums" data-testid={testid}>{value}</div>
    </div>
  );
}

/** Per-class precision, recall and F1 and the confusion heatmap of one report. */
export function ReportCard({ title, r, predictedBy, reference, testid }: { title: string; r: Report | null; predictedBy: string; reference: string; testid?: string }) {
  return (
    <section className="card p-4" data-testid={testid}>
      <h3 className="font-semibold">{title}</h3>
      {!r ? (
        <p className="mt-2 text-zinc-500">No reference labels on the test slice.</p>
      ) : (
        <>
          <p className="mt-1 text-zinc-600">accuracy <b>{pct(r.accuracy)}</b> · macro-F1 <b data-testid="macro-f1">{f3(r.macroF1)}</b> · {int(r.total)} items</p>
          <div className="overflow-x-auto">
            <table className="mt-2 w-full text-sm tabular-nums">
              <thead>
                <tr className="border-b border-zinc-200 text-xs uppercase tracking-wide text-zinc-500">
                  <th className="py-1.5 pr-2 text-left font-semibold">Class</th><th className="px-1.5 text-right font-semibold">P</th><th className="px-1.5 text-right font-semibold">R</th><th className="px-1.5 text-right font-semibold">F1</th><th className="pl-1.5 text-right font-semibold">n</th>
                </tr>
              </thead>
              <tbody>
                {r.perClass.slice(0, 80).map((c) => (
                  <tr key={c.label} className="border-b border-zinc-100">
                    <td className="max-w-36 truncate py-1.5 pr-2" title={c.label}>{c.label}</td><td className="px-1.5 text-right">{f3(c.precision)}</td><td className="px-1.5 text-right">{f3(c.recall)}</td><td className="px-1.5 text-right">{f3(c.f1)}</td><td className="pl-1.5 text-right text-zinc-500">{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3">
            <ConfusionHeatmap labels={r.labels} confusion={r.confusion} reference={reference} predictedBy={predictedBy} />
          </div>
        </>
      )}
    </section>
  );
}
