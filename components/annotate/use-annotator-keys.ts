import { useEffect, useRef, type Dispatch, type SetStateAction } from 'react';
import type { AnswerAction } from './types';
import { DIGIT_PAUSE_MS, keyCommand, labelForDigits, moveHighlight } from './keymap';

interface AnnotatorKeys {
  labels: string[];
  /** The label Enter accepts; null until one is chosen with an arrow, a number or a tap. */
  highlight: number | null;
  setHighlight: Dispatch<SetStateAction<number | null>>;
  help: boolean;
  setHelp: Dispatch<SetStateAction<boolean>>;
  /** Something else holds the page (an answer being changed): keys act as with the help open. */
  blocked?: boolean;
  answer: (action: AnswerAction, label: string | null) => void;
  undo: () => Promise<void>;
  /** Escape: also closes what `blocked` stands for. */
  onEscape?: () => void;
  /** N: write a note on the last flag. */
  onNote?: () => void;
}

/** Carries out the key map (keymap.ts) on the page: the annotator works with the keyboard alone. */
export function useAnnotatorKeys({ labels, highlight, setHighlight, help, setHelp, blocked = false, answer, undo, onEscape, onNote }: AnnotatorKeys): void {
  // Digits typed towards a label number of two or more digits, and the pause that takes them.
  const digits = useRef<{ typed: string; timer: ReturnType<typeof setTimeout> | null }>({ typed: '', timer: null });
  useEffect(() => {
    const pick = (typed: string) => {
      const i = labelForDigits(typed, labels.length);
      if (i == null) return;
      setHighlight(i);
      answer('label', labels[i]);
    };
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const inTextField = !!t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
      const d = digits.current;
      const { command, preventDefault } = keyCommand({ key: e.key, repeat: e.repeat, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, inTextField, dialogOpen: help || blocked }, d.typed, labels.length);
      if (preventDefault) e.preventDefault();
      switch (command?.kind) {
        case 'toggle-help':
          if (d.timer) clearTimeout(d.timer); // a half-typed label number must not be taken behind the dialog
          d.timer = null;
          d.typed = '';
          return setHelp((h) => !h);
        case 'close-help':
          onEscape?.();
          return setHelp(false);
        case 'note':
          return onNote?.();
        case 'undo':
          return void undo();
        case 'digits': {
          if (d.timer) clearTimeout(d.timer);
          d.timer = null;
          if (command.complete) {
            d.typed = '';
            return pick(command.typed);
          }
          d.typed = command.typed;
          d.timer = setTimeout(() => {
            d.typed = '';
            pick(command.typed);
          }, DIGIT_PAUSE_MS);
          return;
        }
        case 'accept':
          if (highlight != null && labels[highlight]) answer('label', labels[highlight]);
          return;
        case 'skip':
          return answer('skip', null);
        case 'flag':
          return answer('flag', null);
        case 'move':
          return setHighlight((h) => moveHighlight(h, command.by, labels.length));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [answer, undo, labels, highlight, setHighlight, help, setHelp, blocked, onEscape, onNote]);
}
