'use client';
import { useEffect, useRef } from 'react';
import { DataTable } from '@/components/ui/DataTable';
import { labelKey } from './keymap';

/** The keyboard shortcuts dialog (toggled with ?, closed with Escape). While it is open no key acts on the item. */
export function KeyHelp({ labels, onClose }: { labels: string[]; onClose: () => void }) {
  const rows: [string, string][] = [
    ...labels.slice(0, 12).map((l, i): [string, string] => [labelKey(i), `label “${l}” and go to the next item`]),
    ...(labels.length > 12 ? [[`…${labels.length}`, 'type the label’s number'] as [string, string]] : []),
    ['Enter', 'accept the highlighted label (no label is highlighted until you choose one)'],
    ['↑ ↓', 'highlight a label (the first press starts at the top or the bottom)'],
    ['S', 'skip this item'],
    ['F', 'flag this item for the lead (at once; add a note after, if you like)'],
    ['N', 'write a note for the lead on the item you just flagged'],
    ['Backspace', 'undo the last answer and show that item again'],
    ['?', 'show or hide this help'],
  ];
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="fixed inset-0 z-30 flex items-start justify-center overflow-y-auto bg-zinc-900/30 px-3 pb-6 pt-16 sm:pt-24" onClick={onClose}>
      <div role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" className="card w-full max-w-lg p-5 shadow-lg" onClick={(e) => e.stopPropagation()}>
        <div className="mb-3 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <button ref={close} type="button" className="btn" onClick={onClose}>Close <kbd className="font-mono text-xs">Esc</kbd></button>
        </div>
        <DataTable
          rows={rows}
          rowKey={([k]) => k}
          columns={[
            { className: 'w-24', cell: ([k]) => <kbd className="rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 font-mono text-xs">{k}</kbd> },
            { cell: ([, what]) => what },
          ]}
        />
      </div>
    </div>
  );
}
