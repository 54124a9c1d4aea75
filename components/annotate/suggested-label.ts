import type { QueueItem } from './types';

/** The student's label, else the teacher's (the label pre-selection would start at), or null. */
export function suggestedLabel(item: QueueItem | undefined, labels: string[]): number | null {
  const l = item?.student?.label ?? item?.teacher?.label;
  const i = l ? labels.indexOf(l) : -1;
  return i >= 0 ? i : null;
}

/**
 * Where the highlight starts on a new item. By default nowhere: the queue holds the items where the
 * student is most likely wrong, so Enter must not accept its label unread; the annotator picks with a
 * number, an arrow or a tap. `preselect` (for a later phase setting) starts at suggestedLabel.
 */
export function initialHighlight(item: QueueItem | undefined, labels: string[], preselect = false): number | null {
  return preselect ? suggestedLabel(item, labels) : null;
}
