/** JSON shapes of the model registry API as the browser receives them (dates as strings). */
export interface ModelRow {
  id: number;
  phaseId: number;
  phaseName: string;
  roundId: number;
  roundNumber: number;
  version: string;
  arch: string;
  status: 'candidate' | 'approved' | 'deployed' | 'retired' | 'rejected';
  serving: { kind: 'live' | 'canary' | 'shadow'; share: number; deploymentId: number; since: string } | null;
  metrics: { macroF1VsTeacher: number | null; macroF1VsHuman: number | null; accuracyVsHuman: number | null; testItems: number | null; batch1P50Ms: number | null; itemsPerSecond: number | null };
  reviewNote: string | null;
  approvedBy: { id: number; name: string } | null;
  approvedAt: string | null;
  createdAt: string;
  labels: string[];
}

export interface Slot {
  deploymentId: number;
  modelId: number;
  version: string;
  share: number;
  since: string;
}
export interface Stats {
  requests: number;
  items: number;
  compared: number;
  agree: number;
}
export interface PhaseServing {
  serving: { phaseId: number; live: Slot | null; canary: Slot | null; shadow: Slot | null; canaryStats: Stats | null; shadowStats: Stats | null };
  history: { id: number; modelId: number; version: string; kind: string; share: number; note: string | null; createdAt: string; endedAt: string | null }[];
}
