'use client';
import { useState } from 'react';
import { f3, int, pct } from '@/components/format';
import { formatSeconds } from '@/lib/jobs/progress.ts';
import { signed } from '@/lib/rounds/returns.ts';
import { useRoundCompare, type Comparison, type Dashboard } from '@/components/rounds/queries';

type Side = Comparison['a'];
const signedPts = (x: number) => signed(100 * x);

const METRICS: { name: string; value: (s: Side) => number | null; show: (v: number) => string; points?: boolean }[] = [
  { name: 'macro-F1 vs teacher', value: (s) => s.vsTeacher?.f1 ?? null, show: f3, points: true },
  { name: 'accuracy vs teacher', value: (s) => s.vsTeacher?.accuracy ?? null, show: f3, points: true },
  { name: 'macro-F1 vs human labels', value: (s) => s.vsHuman?.f1 ?? null, show: f3, points: true },
  { name: 'accuracy vs human labels', value: (s) => s.vsHuman?.accuracy ?? null, show: f3, points: true },
  { name: 'training set', value: (s) => s.trainExamples, show: int },
  { name: 'human labels used', value: (s) => s.humanLabelled, show: int },
  { name: 'training time', value: (s) => s.trainSeconds, show: (v) => formatSeconds(v) },
  { name: 'student items/s', value: (s) => s.itemsPerSecond, show: int },
];

/** One model's distribution as thin bars, one per label worth showing. */
function Distribution({ name, labels, probs, shown, tone }: { name: string; labels: string[]; probs: number[]; shown: number[]; tone: string }) {
  return (
    <div className="min-w-0">
      <div className="text-xs font-medium text-zinc-600">{name}</div>
      {shown.map((c) => (
        <div key={c} className="flex items-center gap-1.5 text-xs">
          <span className="w-20 shrink-0 truncate text-zinc-500" title={labels[c]}>{labels[c]}</span>
          <span className="relative h-2 min-w-0 flex-1 overflow-hidden rounded-sm bg-zinc-100"><span className={`absolute inset-y-0 left-0 ${tone}`} style={{ width: `${Math.round(100 * (probs[c] ?? 0))}%` }} /></span>
          <span className="w-10 shrink-0 text-right tabular-nums text-zinc-600">{(100 * (probs[c] ?? 0)).toFixed(0)}%</span>
        </div>
      ))}
    </div>
  );
}

const FIRST = 10;

function ChangedItems({ c }: { c: Comparison }) {
  const L = c.labels;
  const [all, setAll] = useState(false);
  const items = all ? c.changed.items : c.changed.items.slice(0, FIRST);
  return (
    <div>
      <h4 className="mb-2 font-semibold">
        Items whose prediction changed: {int(c.changed.total)}
        <span className="ml-2 text-xs font-normal text-zinc-500">
          where a human label exists (also on items the students trained on): {c.changed.fixed} fixed, {c.changed.broke} broken{c.changed.items.length < c.changed.total ? ` · the first ${c.changed.items.length} listed: labelled test-slice items, then other labelled items, then the largest moves` : ''}
        </span>
      </h4>
      {c.changed.items.length === 0 ? (
        <p className="text-zinc-500">The two students decide every item the same way.</p>
      ) : (
        <ul className="divide-y divide-zinc-100" data-testid="compare-changed">
          {items.map((i) => {
            // Labels any model gives 5% or more, at most five: the rest of a 77-label distribution is noise here.
            // In the phase's label order, so rows line up from item to item.
            const top = L.map((_, k) => k).filter((k) => Math.max(i.a.probs[k] ?? 0, i.b.probs[k] ?? 0, i.teacher?.probs[k] ?? 0) >= 0.05).sort((x, y) => (i.b.probs[y] ?? 0) - (i.b.probs[x] ?? 0)).slice(0, 5);
            const shown = top.sort((x, y) => x - y);
            return (
              <li key={i.itemId} className="py-2.5" data-testid="changed-item">
                <div className="flex flex-wrap items-center gap-1.5 text-xs">
                  <span className="text-zinc-400">#{i.itemId}</span>
                  <span className="badge">{i.split === 'test' ? 'test slice' : 'pool'}</span>
                  <span>round {c.a.number}: <b>{i.a.label}</b> → round {c.b.number}: <b>{i.b.label}</b></span>
                  {i.teacher && <span className="text-zinc-500">· teacher {i.teacher.label}</span>}
                  {i.human && <span className="text-zinc-500">· human <b className="text-zinc-700">{i.human}</b></span>}
                  {i.verdict !== 'changed' && <span className={`badge ${i.verdict === 'fixed' ? 'bg-green-50 text-green-800' : 'bg-red-50 text-red-800'}`}>{i.verdict}</span>}
                </div>
                <p className="my-1 whitespace-pre-wrap break-words" lang="und">{i.text}</p>
                <div className="grid gap-2 sm:grid-cols-3">
                  <Distribution name={`round ${c.a.number}`} labels={L} probs={i.a.probs} shown={shown} tone="bg-zinc-400" />
                  <Distribution name={`round ${c.b.number}`} labels={L} probs={i.b.probs} shown={shown} tone="bg-indigo-500" />
                  {i.teacher && <Distribution name="teacher" labels={L} probs={i.teacher.probs} shown={shown} tone="bg-sky-500" />}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {!all && c.changed.items.length > FIRST && (
        <button className="btn mt-2" onClick={() => setAll(true)}>Show {c.changed.items.length - FIRST} more</button>
      )}
    </div>
  );
}

/** Any two finished rounds side by side: metrics, paired gain, agreement, and what changed item by item. */
export function RoundCompare({ d }: { d: Dashboard }) {
  const done = d.rounds.filter((r) => r.status === 'succeeded').map((r) => r.number);
  const [choice, setChoice] = useState<{ a: number; b: number } | null>(null);
  const a = choice?.a ?? done[done.length - 2] ?? null;
  const b = choice?.b ?? done[done.length - 1] ?? null;
  const q = useRoundCompare(d.phase.id, a, b);
  if (done.length < 2) {
    return (
      <section className="card p-4" data-testid="round-compare">
        <h2 className="text-base font-semibold">Compare two rounds</h2>
        <p className="mt-1 text-zinc-500">Needs two finished rounds.</p>
      </section>
    );
  }
  const pick = (side: 'a' | 'b') => (
    <select aria-label={`round ${side.toUpperCase()}`} data-testid={`compare-${side}`} className="input py-1" value={side === 'a' ? (a ?? '') : (b ?? '')} onChange={(e) => setChoice({ a: a!, b: b!, [side]: Number(e.target.value) })}>
      {done.map((n) => <option key={n} value={n}>#{n}</option>)}
    </select>
  );
  const c = q.data;
  return (
    <section className="card p-4" data-testid="round-compare">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="text-base font-semibold">Compare two rounds</h2>
        {pick('a')}
        <span className="text-zinc-500">against</span>
        {pick('b')}
      </div>
      {a === b ? (
        <p className="mt-2 text-zinc-500">Choose two different rounds.</p>
      ) : !c ? (
        <p className="mt-2 text-zinc-500">{q.error ? (q.error as Error).message : 'Comparing…'}</p>
      ) : (
        <div className="mt-3 space-y-4">
          <div className="overflow-x-auto">
            <table className="data max-w-2xl" data-testid="compare-metrics">
              <thead>
                <tr><th>Metric</th><th className="num">Round #{c.a.number}</th><th className="num">Round #{c.b.number}</th><th className="num">Change</th></tr>
              </thead>
              <tbody>
                {METRICS.map((m) => {
                  const va = m.value(c.a);
                  const vb = m.value(c.b);
                  const delta = va != null && vb != null ? vb - va : null;
                  return (
                    <tr key={m.name}>
                      <td>{m.name}</td>
                      <td className="num">{va == null ? '—' : m.show(va)}</td>
                      <td className="num">{vb == null ? '—' : m.show(vb)}</td>
                      <td className={`num ${delta != null && m.points ? (delta > 0 ? 'text-green-700' : delta < 0 ? 'text-red-700' : '') : 'text-zinc-500'}`}>
                        {delta == null ? '—' : m.points ? `${signedPts(delta)} pt` : `${delta >= 0 ? '+' : '−'}${m.show(Math.abs(delta))}`}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <ul className="space-y-1 text-sm" data-testid="compare-summary">
            {c.gainVsHuman && (
              <li>
                Paired on the test slice, against human labels: <b>{signedPts(c.gainVsHuman.gain)} ± {(100 * c.gainVsHuman.se).toFixed(1)} points</b> ({c.gainVsHuman.fixed} fixed, {c.gainVsHuman.broke} broken of {int(c.gainVsHuman.items)})
              </li>
            )}
            {c.gainVsTeacher && <li>Against the teacher: {signedPts(c.gainVsTeacher.gain)} ± {(100 * c.gainVsTeacher.se).toFixed(1)} points ({c.gainVsTeacher.fixed} fixed, {c.gainVsTeacher.broke} broken)</li>}
            {c.pool && <li>Pool: {int(c.pool.changed)} of {int(c.pool.items)} predictions changed ({pct(c.pool.changedShare, 2)}), Cohen&apos;s κ {c.pool.kappa.toFixed(3)}</li>}
          </ul>
          <ChangedItems c={c} />
        </div>
      )}
    </section>
  );
}
