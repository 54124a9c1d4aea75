/** JSON shapes of the model registry API as the browser receives them (dates as strings). */
import type { Wire } from '@/components/api';
import type { ModelView } from '@/lib/models/registry.ts';

export type ModelRow = Wire<ModelView>;

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
