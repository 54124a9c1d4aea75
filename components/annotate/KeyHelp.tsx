import { DataTable } from '@/components/ui/DataTable';
import { labelKey } from './keymap';

/** The keyboard shortcuts dialog (toggled with ?). */
export function KeyHelp({ labels, onClose }: { labels: string[]; onClose: () => void }) {
  const rows: [string, string][] = [
    ...labels.slice(0, 12).map((l, i): [string, string] => [labelKey(i), `label “${l}” and go to the next item`]),
    ...(labels.length > 12 ? [[`…${labels.length}`, 'type the label’s number'] as [string, string]] : []),
    ['Enter', 'accept the highlighted label (starts at the student’s, else the teacher’s)'],
    ['↑ ↓', 'move the highlight'],
    ['S', 'skip this item'],
    ['F', 'flag this item for the lead'],
    ['Backspace', 'undo the last answer and show that item again'],
    ['?', 'show or hide this help'],
  ];
  return (
    <div className="fixed inset-0 z-20 flex items-start justify-center bg-zinc-900/30 pt-24" onClick={onClose}>
      <div role="dialog" aria-label="Keyboard shortcuts" className="card w-full max-w-lg p-5 shadow-lg" onClick={(e) => e.stopPropagation()}>
        <div className="mb-3 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <button type="button" className="btn" onClick={onClose}>Close <kbd className="font-mono text-xs">Esc</kbd></button>
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
