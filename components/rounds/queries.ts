'use client';
/**
 * One TanStack Query hook per resource of the rounds and dashboard pages, with the keys their
 * mutations invalidate. Lists poll faster while a round runs so progress moves without a reload.
 */
import { useEffect, useRef } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Wire, type WireResult } from '@/components/api';
import type { phaseDashboard } from '@/lib/rounds/dashboard.ts';
import type { compareRounds } from '@/lib/rounds/compare.ts';
import type { taskOverview } from '@/lib/tasks/overview.ts';
import type { PhaseYield } from '@/lib/queue/yield.ts';
import type { QueueSettings } from '@/lib/queue/settings.ts';
import type { JobRow, Round } from './types';

export type Dashboard = WireResult<typeof phaseDashboard>;
export type Comparison = WireResult<typeof compareRounds>;
export type Overview = WireResult<typeof taskOverview>;

export const isActive = (r: { status: string }) => r.status === 'queued' || r.status === 'running';

export const keys = {
  rounds: (phaseId: number) => ['rounds', phaseId] as const,
  round: (roundId: number) => ['round', roundId] as const,
  dashboard: (phaseId: number) => ['dashboard', phaseId] as const,
  compare: (phaseId: number, a: number | null, b: number | null) => ['compare', phaseId, a, b] as const,
  yield: (phaseId: number) => ['yield', phaseId] as const,
  overview: (taskId: number) => ['overview', taskId] as const,
  jobs: ['jobs'] as const,
};

/** A phase's rounds; every 1.5 s while one is queued or running. */
export function useRounds(phaseId: number) {
  return useQuery({
    queryKey: keys.rounds(phaseId),
    queryFn: () => api<{ rounds: Round[] }>(`/api/phases/${phaseId}/rounds`).then((r) => r.rounds),
    refetchInterval: (q) => (q.state.data?.some(isActive) ? 1500 : 15000),
  });
}

/** One round with its metrics (per class, confusion matrices); polled while it runs. */
export function useRound(roundId: number | null) {
  return useQuery({
    queryKey: keys.round(roundId ?? 0),
    queryFn: () => api<{ round: Round }>(`/api/rounds/${roundId}`).then((r) => r.round),
    enabled: roundId != null,
    refetchInterval: (q) => (q.state.data && isActive(q.state.data) ? 2000 : false),
  });
}

export function useDashboard(phaseId: number) {
  return useQuery({ queryKey: keys.dashboard(phaseId), queryFn: () => api<Dashboard>(`/api/phases/${phaseId}/dashboard`), refetchInterval: 30000 });
}

/** Rounds a and b (numbers) side by side; only once both are chosen and differ. */
export function useRoundCompare(phaseId: number, a: number | null, b: number | null) {
  return useQuery({
    queryKey: keys.compare(phaseId, a, b),
    queryFn: () => api<Comparison>(`/api/phases/${phaseId}/rounds/compare?a=${a}&b=${b}&limit=50`),
    enabled: a != null && b != null && a !== b,
    staleTime: 60_000,
  });
}

export function useYield(phaseId: number) {
  return useQuery({ queryKey: keys.yield(phaseId), queryFn: () => api<Wire<PhaseYield>>(`/api/phases/${phaseId}/yield`), refetchInterval: 15000 });
}

export function useTaskOverview(taskId: number) {
  return useQuery({ queryKey: keys.overview(taskId), queryFn: () => api<Overview>(`/api/tasks/${taskId}/overview?tzOffset=${new Date().getTimezoneOffset()}`), refetchInterval: (q) => (q.state.data?.phases.some((p) => p.latestRound && isActive(p.latestRound)) ? 2000 : 30000) });
}

/** Background jobs in progress (teacher training, rounds). */
export function useJobs() {
  return useQuery({ queryKey: keys.jobs, queryFn: () => api<{ jobs: JobRow[] }>('/api/jobs?status=queued,running').then((r) => r.jobs), refetchInterval: 2000 });
}

/** Everything a round's start, end or cancel changes on the phase's pages. */
function invalidatePhase(qc: ReturnType<typeof useQueryClient>, phaseId: number) {
  for (const key of [keys.rounds(phaseId), keys.dashboard(phaseId), keys.yield(phaseId), keys.jobs, ['overview']]) qc.invalidateQueries({ queryKey: key });
}

export function useStartRound(phaseId: number) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (config: unknown) => api<{ round: Round }>(`/api/phases/${phaseId}/rounds`, { body: config }), onSuccess: () => invalidatePhase(qc, phaseId) });
}

export function useCancelRound(phaseId: number) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (roundId: number) => api(`/api/rounds/${roundId}/cancel`, { method: 'POST' }), onSuccess: () => invalidatePhase(qc, phaseId) });
}

/** Turns automatic rounds on (after N new human labels) or off (null). */
export function useAutoRounds(phaseId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (after: number | null) => api<{ phase: QueueSettings }>(`/api/phases/${phaseId}`, { method: 'PATCH', body: { autoRoundAfterLabels: after } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.dashboard(phaseId) }),
  });
}

/** When a phase's round ends (or a new one appears), what it changed is out of date: refetch the dashboard and yield at once. */
export function useRefreshOnRoundChange(phaseId: number, rounds: Round[] | undefined) {
  const qc = useQueryClient();
  const signature = rounds?.map((r) => `${r.number}:${r.status}`).join(',');
  const last = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (signature === undefined) return;
    if (last.current !== undefined && last.current !== signature) {
      for (const key of [keys.dashboard(phaseId), keys.yield(phaseId), ['overview'], ['compare', phaseId]]) qc.invalidateQueries({ queryKey: key });
    }
    last.current = signature;
  }, [signature, phaseId, qc]);
}
