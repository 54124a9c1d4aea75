'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/components/api';
import { pct } from '@/components/format';
import type { ModelRow, PhaseServing } from './types';

function useInvalidate(phaseId: number) {
  const qc = useQueryClient();
  const router = useRouter();
  return () => {
    router.refresh(); // server-rendered parts (the model page's status) follow
    void qc.invalidateQueries({ queryKey: ['models'] });
    void qc.invalidateQueries({ queryKey: ['serving', phaseId] });
    void qc.invalidateQueries({ queryKey: ['model'] });
  };
}

/** Approve (with a note), reject, deploy, canary and shadow for one model: leads only. */
export function ModelActions({ model }: { model: ModelRow }) {
  const invalidate = useInvalidate(model.phaseId);
  const [note, setNote] = useState('');
  const [share, setShare] = useState('10');
  const [weight, setWeight] = useState('0.5');
  const [error, setError] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: ({ path, body }: { path: string; body: unknown }) => api(path, { method: 'POST', body }),
    onSuccess: () => {
      setNote('');
      setError(null);
      invalidate();
    },
    onError: (e: Error) => setError(e.message),
  });
  const post = (action: string, body: Record<string, unknown> = {}) => act.mutate({ path: `/api/models/${model.id}/${action}`, body: { note: note || undefined, ...body } });
  const canApprove = model.status === 'candidate' || model.status === 'rejected';
  const canDeploy = model.status === 'approved' || model.status === 'retired';
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={`model-actions-${model.id}`}>
      {(canApprove || canDeploy) && <input className="input w-48 text-xs" placeholder="note (audit log)" value={note} onChange={(e) => setNote(e.target.value)} aria-label="note" />}
      {canApprove && <button className="btn btn-primary text-xs" disabled={act.isPending} onClick={() => post('approve')}>Approve</button>}
      {model.status !== 'rejected' && model.status !== 'deployed' && model.status !== 'retired' && !model.serving && <button className="btn text-xs" disabled={act.isPending} onClick={() => post('reject')}>Reject</button>}
      {canDeploy && !model.serving && (
        <>
          <button className="btn btn-primary text-xs" disabled={act.isPending} onClick={() => post('deploy')}>Deploy</button>
          <span className="flex items-center gap-1 text-xs">
            <input className="input w-14 text-xs" value={share} onChange={(e) => setShare(e.target.value)} aria-label="canary share %" />%
            <button className="btn text-xs" disabled={act.isPending} onClick={() => post('deploy', { kind: 'canary', share: Number(share) / 100 })}>Canary</button>
          </span>
          <button className="btn text-xs" disabled={act.isPending} onClick={() => post('deploy', { kind: 'shadow' })}>Shadow</button>
        </>
      )}
      {(model.status === 'deployed' || model.status === 'retired') && (
        <span className="flex items-center gap-1 text-xs">
          <input className="input w-14 text-xs" value={weight} onChange={(e) => setWeight(e.target.value)} aria-label="teacher weight" />
          <button className="btn text-xs" disabled={act.isPending} onClick={() => act.mutate({ path: `/api/models/${model.id}/teacher`, body: { weight: Number(weight) } })}>Add as teacher</button>
        </span>
      )}
      {error && <span className="text-xs text-red-700" role="alert">{error}</span>}
    </div>
  );
}

/** What serves a phase: alias `live`, the canary with its live agreement, the shadow with its flip rate. */
export function PhaseServingBar({ phaseId, phaseName, canManage }: { phaseId: number; phaseName: string; canManage: boolean }) {
  const invalidate = useInvalidate(phaseId);
  const [error, setError] = useState<string | null>(null);
  const q = useQuery({ queryKey: ['serving', phaseId], queryFn: () => api<PhaseServing>(`/api/phases/${phaseId}/deployments`), refetchInterval: 5000 });
  const act = useMutation({
    mutationFn: ({ path, method = 'POST', body = {} }: { path: string; method?: string; body?: unknown }) => api(path, { method, body }),
    onSuccess: () => {
      setError(null);
      invalidate();
    },
    onError: (e: Error) => setError(e.message),
  });
  const s = q.data?.serving;
  const canRollback = (q.data?.history ?? []).some((h) => h.kind === 'live' && h.modelId !== s?.live?.modelId);
  const rate = (st: { compared: number; agree: number } | null | undefined) => (st && st.compared ? st.agree / st.compared : null);
  return (
    <div className="mb-3 flex flex-wrap items-center gap-4 text-sm" data-testid={`serving-${phaseId}`}>
      <span className="font-medium">{phaseName}</span>
      <span>live: <span className="badge bg-green-50 text-green-800" data-testid="live-version">{s?.live?.version ?? 'none'}</span></span>
      {s?.canary && (
        <span data-testid="canary">
          canary <span className="badge">{s.canary.version}</span> at {Math.round(s.canary.share * 100)} % · agreement with live {pct(rate(s.canaryStats))} over {s.canaryStats?.compared ?? 0} items
          {canManage && (
            <>
              <button className="btn btn-primary ml-2 text-xs" onClick={() => act.mutate({ path: `/api/phases/${phaseId}/promote` })}>Promote</button>
              <button className="btn ml-1 text-xs" onClick={() => act.mutate({ path: `/api/phases/${phaseId}/deployments`, method: 'DELETE', body: { kind: 'canary' } })}>Stop canary</button>
            </>
          )}
        </span>
      )}
      {s?.shadow && (
        <span data-testid="shadow">
          shadow <span className="badge">{s.shadow.version}</span> · flip rate {pct(rate(s.shadowStats) == null ? null : 1 - rate(s.shadowStats)!)} over {s.shadowStats?.compared ?? 0} items
          {canManage && <button className="btn ml-2 text-xs" onClick={() => act.mutate({ path: `/api/phases/${phaseId}/deployments`, method: 'DELETE', body: { kind: 'shadow' } })}>Stop shadow</button>}
        </span>
      )}
      {canManage && s?.live && canRollback && <button className="btn text-xs" onClick={() => act.mutate({ path: `/api/phases/${phaseId}/rollback` })}>Rollback</button>}
      {s?.live && <a className="text-xs text-indigo-700 hover:underline" href={`/models/try/${phaseId}`}>Try it</a>}
      {error && <span className="text-xs text-red-700" role="alert">{error}</span>}
    </div>
  );
}
