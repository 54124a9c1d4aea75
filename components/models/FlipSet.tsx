'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api';

interface Dist { label: string; probs: number[] }
interface Flip { itemId: number; slice: 'test' | 'pool'; text: string; candidate: Dist; deployed: Dist; teacher: Dist | null; human: string | null; effect: 'fixes' | 'breaks' | 'unlabelled' | 'neither' }
interface Counts { items: number; flips: number; fixes: number; breaks: number; unlabelled: number }
interface FlipSetData { version: string; against: { modelId: number; version: string } | null; labels: string[]; counts: { test: Counts; pool: Counts }; flips: Flip[] }

const effectClass = { fixes: 'bg-green-50 text-green-800', breaks: 'bg-red-50 text-red-800', unlabelled: '', neither: 'bg-zinc-100' };

function Bars({ d, labels }: { d: Dist | null; labels: string[] }) {
  if (!d) return <span className="text-zinc-400">—</span>;
  return (
    <div className="text-xs">
      <div className="font-medium">{d.label}</div>
      {labels.map((l, i) => (
        <div key={l} className="flex items-center gap-1" title={`${l} ${d.probs[i].toFixed(4)}`}>
          <span className="w-16 truncate text-zinc-500">{l}</span>
          <span className="inline-block h-1.5 bg-indigo-400" style={{ width: `${Math.round(d.probs[i] * 60)}px` }} />
          <span className="text-zinc-500">{d.probs[i].toFixed(2)}</span>
        </div>
      ))}
    </div>
  );
}

/** Flip-set review: the candidate against the deployed student, with the teacher and the human label. */
export function FlipSet({ modelId }: { modelId: number }) {
  const q = useQuery({ queryKey: ['flips', modelId], queryFn: () => api<FlipSetData>(`/api/models/${modelId}/flips`) });
  const [slice, setSlice] = useState<'all' | 'test' | 'pool'>('all');
  const send = useMutation({ mutationFn: () => api<{ queued: number }>(`/api/models/${modelId}/flips/queue`, { method: 'POST' }) });
  if (q.isLoading) return <p className="text-zinc-500">Loading the flip set…</p>;
  if (q.error) return <p className="text-red-700">{(q.error as Error).message}</p>;
  const d = q.data!;
  if (!d.against) return <p className="text-zinc-500" data-testid="flip-summary">No other model is deployed in this phase: there is nothing to flip against (deploying this one makes it live).</p>;
  const c = (k: 'test' | 'pool') => d.counts[k];
  const shown = d.flips.filter((f) => slice === 'all' || f.slice === slice);
  return (
    <div>
      <p className="mb-2 text-sm" data-testid="flip-summary">
        {d.version} vs deployed {d.against.version}: test slice {c('test').flips} flips of {c('test').items} (<span className="text-green-700">{c('test').fixes} fix</span> / <span className="text-red-700">{c('test').breaks} break</span> a human label);
        pool sample {c('pool').flips} of {c('pool').items} (<span className="text-green-700">{c('pool').fixes} fix</span> / <span className="text-red-700">{c('pool').breaks} break</span>, {c('pool').unlabelled} unlabelled).
      </p>
      <div className="mb-2 flex items-center gap-2 text-xs">
        {(['all', 'test', 'pool'] as const).map((s) => <button key={s} className={`btn text-xs ${slice === s ? 'btn-primary' : ''}`} onClick={() => setSlice(s)}>{s}</button>)}
        <button className="btn text-xs" disabled={send.isPending} onClick={() => send.mutate()}>Send flips to the annotation queue</button>
        {send.data && <span data-testid="flips-queued">{send.data.queued} items queued first</span>}
        {send.error && <span className="text-red-700">{(send.error as Error).message}</span>}
      </div>
      <table className="data" data-testid="flip-table">
        <thead><tr><th>Text</th><th>Slice</th><th>Candidate</th><th>Deployed</th><th>Teacher</th><th>Human</th><th>Effect</th></tr></thead>
        <tbody>
          {shown.slice(0, 200).map((f) => (
            <tr key={f.itemId}>
              <td className="max-w-md whitespace-pre-wrap break-words">{f.text}</td>
              <td className="text-xs">{f.slice}</td>
              <td><Bars d={f.candidate} labels={d.labels} /></td>
              <td><Bars d={f.deployed} labels={d.labels} /></td>
              <td><Bars d={f.teacher} labels={d.labels} /></td>
              <td className="text-xs">{f.human ?? '—'}</td>
              <td><span className={`badge ${effectClass[f.effect]}`}>{f.effect}</span></td>
            </tr>
          ))}
          {shown.length === 0 && <tr><td colSpan={7} className="py-4 text-center text-zinc-500">No flips.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
