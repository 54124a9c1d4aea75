import type { QueueItem } from './types';
import { labelKey } from './keymap';
import { ProbabilityBar } from './ProbabilityBar';

/** The item being annotated: its text, its scores, one row per label with both models' probabilities, and the actions. */
export function ItemView({ item, labels, highlight, onPick, onSkip, onFlag, onUndo, canUndo }: {
  item: QueueItem; labels: string[]; highlight: number;
  onPick: (i: number) => void; onSkip: () => void; onFlag: () => void; onUndo: () => void; canUndo: boolean;
}) {
  const sc = item.score;
  return (
    <article className="card" data-testid="annotate-item" data-item-id={item.itemId}>
      <div className="border-b border-zinc-200 px-6 py-6">
        {/* Item text is user data: always a React text node, never HTML. */}
        <p className="whitespace-pre-wrap text-2xl leading-relaxed text-zinc-900 [overflow-wrap:anywhere]" data-testid="item-text">{item.text}</p>
        <div className="mt-3 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
          <span>item #{item.itemId}</span>
          {sc ? (
            <>
              <span className="badge" data-testid="score-js" title="Jensen–Shannon divergence between teacher and student">JS {sc.js.toFixed(3)}</span>
              <span className="badge" title="KL(teacher ‖ student)">KL {sc.kl.toFixed(3)}</span>
              <span className="badge" title="The student's top-two probability margin: small = unsure">margin {sc.margin.toFixed(2)}</span>
              <span className="badge" title="The student's loss against the teacher's soft label">loss {sc.loss.toFixed(3)}</span>
              {sc.flip && <span className="inline-block rounded bg-rose-100 px-1.5 py-0.5 text-xs font-semibold text-rose-800" data-testid="score-flip">flip: student ≠ teacher</span>}
            </>
          ) : (
            <span className="badge">no student score yet</span>
          )}
        </div>
      </div>

      <div className="px-6 py-4">
        <div className="mb-2 grid grid-cols-[2.5rem_minmax(6rem,12rem)_1fr_1fr] items-center gap-x-4 text-xs font-semibold uppercase tracking-wide text-zinc-500">
          <span>Key</span><span>Label</span><span>Teacher</span><span>Student</span>
        </div>
        <div role="radiogroup" aria-label="Label" className="space-y-1">
          {labels.map((l, i) => {
            const on = i === highlight;
            return (
              <button
                key={l}
                type="button"
                role="radio"
                aria-checked={on}
                data-testid={`label-${l}`}
                onClick={() => onPick(i)}
                className={`grid w-full grid-cols-[2.5rem_minmax(6rem,12rem)_1fr_1fr] items-center gap-x-4 rounded px-2 py-2 text-left focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 ${on ? 'bg-indigo-50 ring-2 ring-indigo-500' : 'hover:bg-zinc-50'}`}
              >
                <kbd className={`inline-flex h-7 w-7 items-center justify-center rounded border font-mono text-sm ${on ? 'border-indigo-500 bg-white text-indigo-700' : 'border-zinc-300 bg-zinc-50 text-zinc-700'}`}>{labelKey(i)}</kbd>
                <span className={`truncate text-base ${on ? 'font-semibold text-indigo-900' : 'text-zinc-800'}`}>
                  {l}
                  {item.teacher?.label === l && <span className="ml-1.5 text-xs font-normal text-zinc-500">teacher</span>}
                  {item.student?.label === l && <span className="ml-1.5 text-xs font-normal text-zinc-500">student</span>}
                </span>
                <ProbabilityBar p={item.teacher?.probs[i]} tone="teacher" />
                <ProbabilityBar p={item.student?.probs[i]} tone="student" />
              </button>
            );
          })}
        </div>
      </div>

      <div className="flex flex-wrap items-center gap-2 border-t border-zinc-200 bg-zinc-50 px-6 py-3">
        <button type="button" className="btn btn-primary focus-visible:ring-2 focus-visible:ring-indigo-400 focus-visible:ring-offset-1" onClick={() => onPick(highlight)}>
          Accept “{labels[highlight]}” <kbd className="font-mono text-xs opacity-80">Enter</kbd>
        </button>
        <button type="button" className="btn focus-visible:ring-2 focus-visible:ring-indigo-400" onClick={onSkip}>Skip <kbd className="font-mono text-xs text-zinc-500">S</kbd></button>
        <button type="button" className="btn focus-visible:ring-2 focus-visible:ring-indigo-400" onClick={onFlag}>Flag <kbd className="font-mono text-xs text-zinc-500">F</kbd></button>
        <button type="button" className="btn ml-auto focus-visible:ring-2 focus-visible:ring-indigo-400" onClick={onUndo} disabled={!canUndo}>Undo <kbd className="font-mono text-xs text-zinc-500">⌫</kbd></button>
      </div>
    </article>
  );
}
