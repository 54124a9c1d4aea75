'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api';
import { f3, pct } from '@/components/format';
import Link from 'next/link';
import type { Agreement, AnnotatorCounts, ConflictList } from '@/components/annotate/types';
import { DataTable } from '@/components/ui/DataTable';

/** The lead's view of a phase's annotations: agreement, conflicts to adjudicate, overlap, export. */
export function PhaseReview({ phaseId, labels, overlap }: { phaseId: number; labels: string[]; overlap: number }) {
  return (
    <div className="space-y-6">
      <AnnotatorsPanel phaseId={phaseId} />
      <AgreementPanel phaseId={phaseId} />
      <ConflictsPanel phaseId={phaseId} labels={labels} />
      <div className="grid gap-6 md:grid-cols-2">
        <OverlapSetting phaseId={phaseId} overlap={overlap} />
        <ExportPanel phaseId={phaseId} />
      </div>
    </div>
  );
}

function useAgreement(phaseId: number) {
  return useQuery({
    queryKey: ['agreement', phaseId],
    queryFn: () => api<Agreement>(`/api/phases/${phaseId}/agreement`),
    refetchInterval: 15_000,
  });
}

function useConflicts(phaseId: number) {
  return useQuery({
    queryKey: ['conflicts', phaseId],
    queryFn: () => api<ConflictList>(`/api/phases/${phaseId}/conflicts`),
    refetchInterval: 15_000,
  });
}

const kappa = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? '—' : f3(x));

function AgreementPanel({ phaseId }: { phaseId: number }) {
  const q = useAgreement(phaseId);
  const a = q.data;
  const stats: [string, string, string][] = [
    ['Overlapped items', a ? a.items.toLocaleString('en-US') : '—', 'items'],
    // Only annotators on items two or more people labelled: 0 with overlap 1 (everyone's counts are above).
    ['Annotators on shared items', a ? String(a.annotators) : '—', 'annotators'],
    ['Percent agreement', a ? pct(a.percentAgreement) : '—', 'percent'],
    ["Cohen's κ", a ? kappa(a.cohenKappa) : '—', 'cohen'],
    [a && a.fleissKappa == null && a.annotators < 3 ? "Fleiss' κ (3+ annotators)" : "Fleiss' κ", a ? kappa(a.fleissKappa) : '—', 'fleiss'],
  ];
  return (
    <section className="card" data-testid="agreement">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Agreement</h2>
      {q.error && <p className="px-4 py-2 text-red-700" role="alert">{(q.error as Error).message}</p>}
      <div className="grid grid-cols-2 gap-3 p-4 md:grid-cols-5">
        {stats.map(([k, v, id]) => (
          <div key={id} className="rounded border border-zinc-200 px-3 py-2">
            <div className="text-xs text-zinc-500">{k}</div>
            <div className="text-lg font-semibold tabular-nums" data-testid={`agreement-${id}`}>{v}</div>
          </div>
        ))}
      </div>
      <DataTable
        testId="agreement-pairs"
        rows={a?.pairs ?? []}
        rowKey={(_p, i) => i}
        empty={a ? 'No item has been labelled by two annotators yet. Set overlap k ≥ 2 below to collect agreement.' : q.isLoading ? 'Loading…' : '—'}
        columns={[
          { header: 'Annotator pair', cell: (p) => <>{p.a} × {p.b}</> },
          { header: 'Shared items', num: true, cell: (p) => p.items.toLocaleString('en-US') },
          { header: 'Percent agreement', num: true, cell: (p) => pct(p.agreement) },
          { header: "Cohen's κ", num: true, cell: (p) => kappa(p.kappa) },
        ]}
      />
    </section>
  );
}

/** Everyone who answered in the phase, with their counts (today in the lead's time zone). */
function AnnotatorsPanel({ phaseId }: { phaseId: number }) {
  const q = useQuery({
    queryKey: ['annotators', phaseId],
    queryFn: () => api<{ annotators: AnnotatorCounts[] }>(`/api/phases/${phaseId}/annotators?tzOffset=${new Date().getTimezoneOffset()}`),
    refetchInterval: 15_000,
  });
  const rows = q.data?.annotators ?? [];
  const openFlags = rows.reduce((n, r) => n + r.openFlags, 0);
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    <section className="card" data-testid="annotators">
      <h2 className="flex flex-wrap items-baseline justify-between gap-2 border-b border-zinc-200 px-4 py-2">
        <span className="font-semibold">Annotators{q.data ? ` (${rows.length})` : ''}</span>
        <Link href={`/annotate/${phaseId}/flags`} className="text-sm font-normal text-indigo-700 hover:underline" data-testid="review-flags-link">
          {openFlags ? `${n(openFlags)} open flag${openFlags === 1 ? '' : 's'} to look at →` : 'Flagged items →'}
        </Link>
      </h2>
      {q.error && <p className="px-4 py-2 text-red-700" role="alert">{(q.error as Error).message}</p>}
      <DataTable
        testId="annotator-counts"
        rows={rows}
        rowKey={(r) => r.userId}
        empty={q.isLoading ? 'Loading…' : 'Nobody has answered in this phase yet.'}
        columns={[
          { header: 'Annotator', cell: (r) => <>{r.name || r.email} <span className="text-xs text-zinc-500">{r.name ? r.email : ''}</span></> },
          { header: 'Answers', num: true, cell: (r) => n(r.total) },
          { header: 'Labelled', num: true, cell: (r) => n(r.labelled) },
          { header: 'Skipped', num: true, cell: (r) => n(r.skipped) },
          { header: 'Flagged', num: true, cell: (r) => <>{n(r.flagged)}{r.openFlags ? <span className="text-xs text-amber-700"> ({n(r.openFlags)} open)</span> : null}</> },
          { header: 'Today', num: true, cell: (r) => n(r.today) },
          { header: 'Undone', num: true, className: 'text-zinc-500', cell: (r) => n(r.undone) },
          { header: 'Last answer', className: 'text-zinc-500 whitespace-nowrap', cell: (r) => (r.lastAnswerAt ? new Date(r.lastAnswerAt).toLocaleString() : '—') },
        ]}
      />
    </section>
  );
}

function ConflictsPanel({ phaseId, labels }: { phaseId: number; labels: string[] }) {
  const qc = useQueryClient();
  const q = useConflicts(phaseId);
  const [error, setError] = useState<string | null>(null);
  const adjudicate = useMutation({
    mutationFn: (v: { itemId: number; label: string }) => api(`/api/phases/${phaseId}/adjudicate`, { body: v }),
    onSuccess: () => {
      setError(null);
      qc.invalidateQueries({ queryKey: ['conflicts', phaseId] });
      qc.invalidateQueries({ queryKey: ['agreement', phaseId] });
    },
    onError: (e) => setError((e as Error).message),
  });
  const list = q.data?.conflicts ?? [];
  return (
    <section className="card" data-testid="conflicts">
      <h2 className="flex items-baseline justify-between border-b border-zinc-200 px-4 py-2">
        <span className="font-semibold">Conflicts</span>
        <span className="text-xs font-normal text-zinc-500">{q.data ? `${q.data.total.toLocaleString('en-US')} open · ` : ''}items where annotators disagree; the label you pick is what the next round trains on</span>
      </h2>
      {error && <p className="px-4 py-2 text-red-700" role="alert">{error}</p>}
      <DataTable
        rows={list}
        rowKey={(c) => c.itemId}
        rowTestId={(c) => `conflict-${c.itemId}`}
        empty={q.isLoading ? 'Loading…' : 'No conflicts to adjudicate.'}
        columns={[
          { header: 'Item', num: true, className: 'text-zinc-400', cell: (c) => c.itemId },
          // Item text is user data: a React text node, never HTML.
          { header: 'Text', className: 'max-w-xl whitespace-pre-wrap text-base [overflow-wrap:anywhere]', cell: (c) => c.text },
          { header: 'Annotators said', className: 'text-xs', cell: (c) => c.answers.map((l) => <div key={l.userId}><span className="text-zinc-500">{l.email}:</span> <span className="badge">{l.label}</span></div>) },
          {
            header: 'Final label',
            className: 'whitespace-nowrap',
            cell: (c) =>
              labels.map((l) => (
                <button key={l} type="button" className="btn mr-1 mb-1 focus-visible:ring-2 focus-visible:ring-indigo-400" disabled={adjudicate.isPending} onClick={() => adjudicate.mutate({ itemId: c.itemId, label: l })}>{l}</button>
              )),
          },
        ]}
      />
    </section>
  );
}

function OverlapSetting({ phaseId, overlap }: { phaseId: number; overlap: number }) {
  const qc = useQueryClient();
  const [value, setValue] = useState(overlap);
  const [saved, setSaved] = useState(overlap);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const save = useMutation({
    mutationFn: (k: number) => api(`/api/phases/${phaseId}`, { method: 'PATCH', body: { overlap: k } }),
    onSuccess: (_r, k) => {
      setSaved(k);
      setMsg({ ok: true, text: `Overlap set to k = ${k}.` });
      qc.invalidateQueries({ queryKey: ['agreement', phaseId] });
    },
    onError: (e) => setMsg({ ok: false, text: (e as Error).message }),
  });
  const rebuild = useMutation({
    // The rebuild runs in a worker; the server waits for it up to 30 s, else answers 202 with the job.
    mutationFn: () => api<{ rebuilt?: unknown; job: { id: number } }>(`/api/phases/${phaseId}/queue/rebuild?wait=30`, { method: 'POST' }),
    onSuccess: (r) => setMsg({ ok: true, text: r.rebuilt ? 'Queue rebuilt from the latest scores.' : `Queue rebuild queued as job ${r.job.id}: a worker runs it (see Jobs).` }),
    onError: (e) => setMsg({ ok: false, text: (e as Error).message }),
  });
  return (
    <section className="card">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Queue</h2>
      <form
        className="flex flex-wrap items-end gap-3 px-4 py-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(value);
        }}
      >
        <div>
          <label className="label" htmlFor={`overlap-${phaseId}`}>Overlap k (annotators per item)</label>
          <input id={`overlap-${phaseId}`} type="number" min={1} max={10} className="input w-24" value={value} onChange={(e) => setValue(Number(e.target.value))} />
        </div>
        <button className="btn btn-primary" disabled={save.isPending || value === saved || !(value >= 1)}>Save</button>
        <button type="button" className="btn" disabled={rebuild.isPending} onClick={() => rebuild.mutate()}>Rebuild queue</button>
      </form>
      <p className="px-4 pb-3 text-xs text-zinc-500">k = 1: each item goes to one annotator. k ≥ 2: up to k annotators label the same item, which gives the agreement above.</p>
      {msg && <p role="status" className={`px-4 pb-3 ${msg.ok ? 'text-green-700' : 'text-red-700'}`}>{msg.text}</p>}
    </section>
  );
}

function ExportPanel({ phaseId }: { phaseId: number }) {
  return (
    <section className="card">
      <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Export human labels</h2>
      <div className="flex gap-2 px-4 py-3">
        <a className="btn" href={`/api/phases/${phaseId}/labels/export?format=csv`} download>Download CSV</a>
        <a className="btn" href={`/api/phases/${phaseId}/labels/export?format=jsonl`} download>Download JSONL</a>
      </div>
      <p className="px-4 pb-3 text-xs text-zinc-500">One row per label: item, annotator, time, and the teacher and student probabilities shown at the time.</p>
    </section>
  );
}
