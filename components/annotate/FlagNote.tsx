'use client';
import { useEffect, useRef, useState } from 'react';

/**
 * After F: the item is flagged at once and the next one is shown; this bar offers a note for the
 * lead without holding anyone up. It is not focused (the number keys keep labelling): N or a
 * click focuses it, Enter saves, Escape leaves it.
 */
export function FlagNote({ itemId, text, focusSignal, onSave, onClose }: { itemId: number; text: string; focusSignal: number; onSave: (note: string) => void; onClose: () => void }) {
  const [note, setNote] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focusSignal) input.current?.focus();
  }, [focusSignal]);
  return (
    <form
      className="mb-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-amber-950"
      data-testid="flag-note"
      onSubmit={(e) => {
        e.preventDefault();
        if (note.trim()) onSave(note.trim());
        input.current?.blur();
      }}
    >
      <div className="flex items-start gap-2">
        <span className="min-w-0 flex-1 text-sm">
          Flagged for the lead: <span className="italic [overflow-wrap:anywhere]">“{text.length > 60 ? `${text.slice(0, 60)}…` : text}”</span> (item #{itemId}). Add a note? <kbd className="hidden font-mono text-xs sm:inline">N</kbd>
        </span>
        <button type="button" className="-my-1 -mr-2 h-9 w-9 shrink-0 rounded text-lg leading-none text-amber-900 hover:bg-amber-100" aria-label="Close" onClick={onClose}>×</button>
      </div>
      <div className="mt-1.5 flex gap-2">
        <input
          ref={input}
          className="input min-w-0 flex-1 bg-white"
          maxLength={2000}
          placeholder="What should the lead look at?"
          aria-label="Note for the lead"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') input.current?.blur();
          }}
        />
        <button type="submit" className="btn min-h-11 shrink-0 sm:min-h-0" disabled={!note.trim()}>Save note</button>
      </div>
    </form>
  );
}
