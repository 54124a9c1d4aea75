/**
 * The annotator's keyboard map, as a pure function of the key and the digits typed so far.
 * Up to 9 labels a label is one key; with more, its number is typed and taken as soon as it
 * is unambiguous (or after a pause, see DIGIT_PAUSE_MS).
 */

/** How long a typed prefix of a longer label number waits for its next digit. */
export const DIGIT_PAUSE_MS = 700;

export interface KeyInput {
  key: string;
  repeat: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The key went to a text field (input, textarea, select, contenteditable). */
  inTextField: boolean;
  /** A dialog (the key help) is open over the item: only ? and Escape act, the rest is the dialog's. */
  dialogOpen?: boolean;
}

export type KeyCommand =
  | { kind: 'toggle-help' }
  | { kind: 'close-help' }
  | { kind: 'undo' }
  | { kind: 'accept' }
  | { kind: 'skip' }
  | { kind: 'flag' }
  /** Write a note for the lead on the last flag (focuses its note field). */
  | { kind: 'note' }
  | { kind: 'move'; by: 1 | -1 }
  /**
   * A digit. `typed` is the label number typed so far; `complete` says it is taken now (answer
   * with labelForDigits(typed), if any); otherwise it waits DIGIT_PAUSE_MS for another digit.
   */
  | { kind: 'digits'; typed: string; complete: boolean };

export interface KeyResult {
  command: KeyCommand | null;
  /** The key is ours: the browser must not also act on it (Backspace navigating back, Enter submitting). */
  preventDefault: boolean;
}

const NONE: KeyResult = { command: null, preventDefault: false };
const ours = (command: KeyCommand | null): KeyResult => ({ command, preventDefault: true });

/** What a key press means, given the digits typed before it (`typed`) and the number of labels. */
export function keyCommand(e: KeyInput, typed: string, labelCount: number): KeyResult {
  if (e.ctrlKey || e.metaKey || e.altKey || e.inTextField) return NONE;
  if (e.key === '?') return ours({ kind: 'toggle-help' });
  if (e.key === 'Escape') return { command: { kind: 'close-help' }, preventDefault: false };
  // The item is hidden behind the dialog: no key may label, skip, flag or undo it (Tab, Enter and
  // Space stay the browser's, for the dialog's own buttons).
  if (e.dialogOpen) return NONE;
  if (e.key === 'Backspace') return ours(e.repeat ? null : { kind: 'undo' });
  if (e.repeat) return NONE; // a held key must not label a run of items
  if (/^[0-9]$/.test(e.key)) {
    const next = typed + e.key;
    const complete = Number(next) * 10 > labelCount || next.length >= String(labelCount).length;
    return ours({ kind: 'digits', typed: next, complete });
  }
  switch (e.key) {
    case 'Enter':
      return ours({ kind: 'accept' });
    case 'ArrowDown':
    case 'ArrowRight':
      return ours({ kind: 'move', by: 1 });
    case 'ArrowUp':
    case 'ArrowLeft':
      return ours({ kind: 'move', by: -1 });
  }
  const k = e.key.toLowerCase();
  if (k === 's') return ours({ kind: 'skip' });
  if (k === 'f') return ours({ kind: 'flag' });
  if (k === 'n') return ours({ kind: 'note' });
  return NONE;
}

/** The label index a typed number picks (1-based on screen), or null when it names none. */
export function labelForDigits(typed: string, labelCount: number): number | null {
  const n = Number(typed);
  return n >= 1 && n <= labelCount ? n - 1 : null;
}

/**
 * The highlight after an arrow key. `null` is "no label chosen yet" (how every item starts): down
 * goes to the first label, up to the last, and from there they wrap.
 */
export function moveHighlight(highlight: number | null, by: 1 | -1, labelCount: number): number | null {
  if (labelCount <= 0) return null;
  if (highlight == null || highlight < 0 || highlight >= labelCount) return by === 1 ? 0 : labelCount - 1;
  return (highlight + by + labelCount) % labelCount;
}

/** The key shown next to label i. */
export function labelKey(i: number): string {
  return String(i + 1);
}
