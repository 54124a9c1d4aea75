import type { QueueItem } from './types';

/** Highlight starts at the student's label, else the teacher's. */
export function suggestedLabel(item: QueueItem | undefined, labels: string[]): number {
  const l = item?.student?.label ?? item?.teacher?.label;
  const i = l ? labels.indexOf(l) : -1;
  return i >= 0 ? i : 0;
}
