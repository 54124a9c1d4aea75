'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api';
import { pct } from '@/components/format';
import type { FlaggedItem, FlagList as FlagListData, FlagOutcome } from '@/components/annotate/types';

type Tab = 'open' | 'resolved';
type ActBody = { action: 'label'; label: string } | { action: 'requeue' | 'dismiss' };
type Act = ActBody & { itemId: number };

const STATUS: Record<string, string> = { labelled: 'labelled by the lead', requeued: 'sent back to the queue', dismissed: 'dismissed' };

/**
 * The lead's list of flagged items: each with its text, both models' choices and the annotators'
 * notes, and three ways out — label it (a trusted label the next round trains on), send it back to
 * the queue, or dismiss the flag.
 */
export function FlagList({ phaseId, labels }: { phaseId: number; labels: string[] }) {
  const qc = useQueryClient();
  const [tab, setTab] = useState<Tab>('open');
  const q = useQuery({
    queryKey: ['flags', phaseId, tab],
    queryFn: () => api<FlagListData>(`/api/phases/${phaseId}/flags?status=${tab}&limit=200`),
    refetchInterval: 15_000,
  });
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const act = useMutation({
    mutationFn: ({ itemId, ...body }: Act) => api<FlagOutcome>(`/api/phases/${phaseId}/flags/${itemId}`, { body }),
    onSuccess: (r) => {
      setMsg({ ok: true, text: `Item #${r.itemId}: ${STATUS[r.resolution] ?? r.resolution}${r.label ? ` as “${r.label}”` : ''}${r.duplicate ? ' (it already was)' : ''}.` });
      void qc.invalidateQueries({ queryKey: ['flags', phaseId] });
    },
    onError: (e) => setMsg({ ok: false, text: (e as Error).message }),
  });
  const items = q.data?.items ?? [];
  return (
    <section className="card" data-testid="flag-list">
      <header className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-4 py-2">
        <h2 className="mr-2 font-semibold">Flagged items</h2>
        <div role="tablist" aria-label="Which flags" className="flex gap-1">
          {(['open', 'resolved'] as const).map((t) => (
            <button key={t} role="tab" type="button" aria-selected={tab === t} className={`rounded px-2.5 py-1 text-sm ${tab === t ? 'bg-indigo-50 font-semibold text-indigo-800' : 'text-zinc-600 hover:bg-zinc-50'}`} onClick={() => setTab(t)}>
              {t === 'open' ? `Open${q.data ? ` (${q.data.open})` : ''}` : 'Resolved'}
            </button>
          ))}
        </div>
        <span className="ml-auto text-xs text-zinc-500">an annotator pressed F on these; your label is what the next round trains on</span>
      </header>
      {msg && <p role="status" className={`px-4 py-2 text-sm ${msg.ok ? 'text-green-700' : 'text-red-700'}`}>{msg.text}</p>}
      {q.error && <p role="alert" className="px-4 py-2 text-red-700">{(q.error as Error).message}</p>}
      {!items.length ? (
        <p className="px-4 py-8 text-center text-zinc-500" data-testid="flags-empty">{q.isLoading ? 'Loading…' : tab === 'open' ? 'No open flags. When an annotator flags an item (F), it appears here.' : 'No flag has been resolved yet.'}</p>
      ) : (
        <ul className="divide-y divide-zinc-200">
          {items.map((it) => (
            <FlagRow key={it.itemId} item={it} labels={labels} busy={act.isPending} onAct={(a) => act.mutate({ itemId: it.itemId, ...a })} />
          ))}
        </ul>
      )}
    </section>
  );
}

function FlagRow({ item, labels, busy, onAct }: { item: FlaggedItem; labels: string[]; busy: boolean; onAct: (a: ActBody) => void }) {
  const open = item.status === 'open';
  const choice = (who: 'teacher' | 'student') => {
    const m = item[who];
    if (!m) return null;
    const i = labels.indexOf(m.label);
    return (
      <span className={`rounded px-1.5 py-0.5 text-xs ${who === 'teacher' ? 'bg-sky-50 text-sky-800' : 'bg-violet-50 text-violet-800'}`}>
        {who} {m.label} {i >= 0 ? pct(m.probs[i]) : ''}
      </span>
    );
  };
  return (
    <li className="px-4 py-3" data-testid={`flag-${item.itemId}`}>
      {/* Item text is user data: a React text node, never HTML. */}
      <p className="whitespace-pre-wrap break-words text-base text-zinc-900 [overflow-wrap:anywhere]">{item.text}</p>
      <div className="mt-1.5 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
        <span>item #{item.itemId}{item.externalId ? ` (${item.externalId})` : ''}</span>
        {choice('teacher')}
        {choice('student')}
        {!open && <span className="badge" data-testid="flag-status">{STATUS[item.status] ?? item.status}{item.resolvedBy ? ` · ${item.resolvedBy}` : ''}</span>}
        {item.humanLabel && <span>final label: <span className="badge">{item.humanLabel.label}</span></span>}
      </div>
      <ul className="mt-2 space-y-1 text-sm">
        {item.flags.map((f) => (
          <li key={f.annotationId} className="rounded bg-amber-50 px-2 py-1 text-amber-950" data-testid="flag-note-line">
            <span className="font-medium">{f.name || f.email}</span> <span className="text-xs text-amber-800">{new Date(f.createdAt).toLocaleString()}</span>
            {f.note ? <>: “{f.note}”</> : <span className="text-amber-800"> (no note)</span>}
          </li>
        ))}
      </ul>
      {open && (
        <div className="mt-2 flex flex-wrap items-center gap-1.5">
          <span className="mr-1 text-sm text-zinc-600">Label it:</span>
          {labels.map((l) => (
            <button key={l} type="button" className="btn min-h-11 sm:min-h-0" disabled={busy} onClick={() => onAct({ action: 'label', label: l })}>{l}</button>
          ))}
          <span className="mx-1 hidden h-5 w-px bg-zinc-200 sm:inline-block" />
          <button type="button" className="btn min-h-11 sm:min-h-0" disabled={busy} onClick={() => onAct({ action: 'requeue' })} title="The flags are taken back and the item goes to the front of the queue">Back to the queue</button>
          <button type="button" className="btn min-h-11 sm:min-h-0" disabled={busy} onClick={() => onAct({ action: 'dismiss' })} title="Nothing to do: the item stays out of the queue and trains on the teacher's output">Dismiss</button>
        </div>
      )}
    </li>
  );
}
