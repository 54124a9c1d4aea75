'use client';
import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/components/api';
import type { LeadAction, QueueStatus } from './types';

/**
 * What the annotator sees when there is nothing to hand out: why (nothing imported, the queue
 * being built, everything answered, all held by others…), for leads the action that fills the
 * queue, and a quiet re-check while the answer is "wait" (`onRetry` asks the queue again).
 */
export function QueueEmpty({ phaseId, onRetry, children }: { phaseId: number; onRetry: () => void; children?: React.ReactNode }) {
  const qc = useQueryClient();
  const status = useQuery({
    queryKey: ['queue-status', phaseId],
    queryFn: () => api<QueueStatus>(`/api/phases/${phaseId}/queue/status`),
    refetchInterval: (q) => q.state.data?.state.retryInMs ?? 15_000,
  });
  const state = status.data?.state;
  // Each time the status says waiting may be over (or items are ready), ask the queue again.
  const updatedAt = status.dataUpdatedAt;
  useEffect(() => {
    if (state) onRetry();
    // Only when a new status arrives (onRetry changes every render).
  }, [updatedAt]);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const act = useMutation({
    mutationFn: async (a: LeadAction) => {
      if (a.kind === 'rebuild') return api(`/api/phases/${phaseId}/queue/rebuild?wait=0`, { method: 'POST' });
      if (a.kind === 'relabel-trusted') return api(`/api/phases/${phaseId}`, { method: 'PATCH', body: { relabelTrusted: true } });
    },
    onSuccess: (_r, a) => {
      setMsg({ ok: true, text: a.kind === 'rebuild' ? 'The queue is being built.' : 'Trusted items are queued for re-labelling.' });
      void qc.invalidateQueries({ queryKey: ['queue-status', phaseId] });
      onRetry();
    },
    onError: (e) => setMsg({ ok: false, text: (e as Error).message }),
  });

  return (
    <div className="card px-5 py-8 text-center sm:px-8 sm:py-10" data-testid="queue-empty" data-reason={state?.reason ?? ''}>
      {!state ? (
        <p className="text-base text-zinc-500">{status.error ? `Nothing to annotate right now (${(status.error as Error).message}).` : 'Nothing to annotate right now…'}</p>
      ) : (
        <>
          <h2 className="text-lg font-semibold text-zinc-900" data-testid="queue-empty-title">{state.title}</h2>
          <p className="mx-auto mt-2 max-w-xl text-zinc-600" data-testid="queue-empty-detail">{state.detail}</p>
          {state.notes.map((n) => (
            <p key={n} className="mx-auto mt-2 max-w-xl text-sm text-zinc-500">{n}</p>
          ))}
          <p className="mt-3 text-xs text-zinc-400">This page checks again by itself.</p>
          {state.actions.length > 0 && (
            <div className="mt-5 flex flex-wrap justify-center gap-2" data-testid="queue-empty-actions">
              {state.actions.map((a, i) => {
                const cls = `btn min-h-11 sm:min-h-0 ${i === 0 ? 'btn-primary' : ''}`;
                switch (a.kind) {
                  case 'import':
                    return <Link key={a.kind} href={`/phases/${phaseId}#import`} className={cls}>{a.label}</Link>;
                  case 'round':
                    return <Link key={a.kind} href={`/rounds#phase-${phaseId}`} className={cls}>{a.label}</Link>;
                  case 'earlier-phase':
                    return <Link key={a.kind} href={`/annotate/${a.phaseId}`} className={cls}>{a.label}</Link>;
                  default:
                    return <button key={a.kind} type="button" className={cls} disabled={act.isPending} onClick={() => act.mutate(a)}>{a.label}</button>;
                }
              })}
            </div>
          )}
          {msg && <p role="status" className={`mt-3 text-sm ${msg.ok ? 'text-green-700' : 'text-red-700'}`}>{msg.text}</p>}
        </>
      )}
      {children}
    </div>
  );
}
