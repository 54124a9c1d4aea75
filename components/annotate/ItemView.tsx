import type { QueueItem } from './types';
import { labelKey } from './keymap';
import { ProbabilityBar } from './ProbabilityBar';
import { SCORE_HELP, scoreInWords } from './score-words';

/**
 * The item being annotated: its text, its scores, one row per label with both models' probabilities, and the actions.
 * No label is chosen when an item appears (`highlight` null): the models' choices are marked, not pre-selected.
 * A tap (or click) on a label answers with it, like its number key. Below 640 px each label is a full-width
 * row at least 44 px tall with its two bars underneath.
 */
export function ItemView({ item, labels, highlight, showScores, onPick, onSkip, onFlag, onUndo, canUndo }: {
  item: QueueItem; labels: string[]; highlight: number | null; showScores: boolean;
  onPick: (i: number) => void; onSkip: () => void; onFlag: () => void; onUndo: () => void; canUndo: boolean;
}) {
  const sc = item.score;
  const chosen = highlight != null && labels[highlight] != null ? highlight : null;
  return (
    <article className="card min-w-0" data-testid="annotate-item" data-item-id={item.itemId}>
      <div className="border-b border-zinc-200 px-4 py-4 sm:px-6 sm:py-6">
        {/* Item text is user data: always a React text node, never HTML. */}
        <p className="whitespace-pre-wrap break-words text-xl leading-relaxed text-zinc-900 [overflow-wrap:anywhere] sm:text-2xl" data-testid="item-text">{item.text}</p>
        <p className="mt-3 text-sm text-zinc-600" data-testid="score-words" title={SCORE_HELP}>
          {scoreInWords(sc, item.teacher?.probs)}
        </p>
        <div className="mt-2 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
          <span>item #{item.itemId}</span>
          {sc?.flip && <span className="inline-block rounded bg-rose-100 px-1.5 py-0.5 text-xs font-semibold text-rose-800" data-testid="score-flip">models pick different labels</span>}
          {showScores && (sc ? (
            <>
              <span className="badge" data-testid="score-js" title="Jensen–Shannon divergence between teacher and student">JS {sc.js.toFixed(3)}</span>
              <span className="badge" title="KL(teacher ‖ student)">KL {sc.kl.toFixed(3)}</span>
              <span className="badge" title="The student's top-two probability margin: small = unsure">margin {sc.margin.toFixed(2)}</span>
              <span className="badge" title="The student's loss against the teacher's soft label">loss {sc.loss.toFixed(3)}</span>
            </>
          ) : (
            <span className="badge">no student score yet</span>
          ))}
        </div>
      </div>

      <div className="px-3 py-4 sm:px-6">
        <div className="mb-2 hidden grid-cols-[2.5rem_minmax(6rem,12rem)_1fr_1fr] items-center gap-x-4 px-2 text-xs font-semibold uppercase tracking-wide text-zinc-500 sm:grid">
          <span>Key</span><span>Label</span><span>Teacher</span><span>Student</span>
        </div>
        <p className="mb-2 px-1 text-sm text-zinc-500 sm:hidden">Tap the label that fits.</p>
        <div role="radiogroup" aria-label="Label" className="space-y-1.5 sm:space-y-1">
          {labels.map((l, i) => {
            const on = i === chosen;
            return (
              <button
                key={l}
                type="button"
                role="radio"
                aria-checked={on}
                data-testid={`label-${l}`}
                onClick={() => onPick(i)}
                className={`grid min-h-11 w-full grid-cols-[2.5rem_minmax(0,1fr)] items-center gap-x-3 gap-y-1 rounded border px-2 py-2 text-left focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 sm:grid-cols-[2.5rem_minmax(6rem,12rem)_1fr_1fr] sm:gap-x-4 sm:border-transparent ${on ? 'border-indigo-500 bg-indigo-50 ring-2 ring-indigo-500' : 'border-zinc-200 hover:bg-zinc-50'}`}
              >
                <kbd className={`inline-flex h-7 w-7 items-center justify-center rounded border font-mono text-sm ${on ? 'border-indigo-500 bg-white text-indigo-700' : 'border-zinc-300 bg-zinc-50 text-zinc-700'}`}>{labelKey(i)}</kbd>
                <span className={`min-w-0 break-words text-base sm:truncate ${on ? 'font-semibold text-indigo-900' : 'text-zinc-800'}`}>
                  {l}
                  {item.teacher?.label === l && <span data-testid="choice-teacher" className="ml-1.5 whitespace-nowrap rounded bg-sky-50 px-1 text-xs font-normal text-sky-800">teacher</span>}
                  {item.student?.label === l && <span data-testid="choice-student" className="ml-1.5 whitespace-nowrap rounded bg-violet-50 px-1 text-xs font-normal text-violet-800">student</span>}
                </span>
                <span className="col-span-2 col-start-1 flex min-w-0 items-center gap-2 sm:col-span-1 sm:col-start-auto">
                  <span className="w-14 shrink-0 text-xs text-zinc-500 sm:hidden">teacher</span>
                  <ProbabilityBar p={item.teacher?.probs[i]} tone="teacher" />
                </span>
                <span className="col-span-2 col-start-1 flex min-w-0 items-center gap-2 sm:col-span-1 sm:col-start-auto">
                  <span className="w-14 shrink-0 text-xs text-zinc-500 sm:hidden">student</span>
                  <ProbabilityBar p={item.student?.probs[i]} tone="student" />
                </span>
              </button>
            );
          })}
        </div>
      </div>

      <div className="flex flex-wrap items-center gap-2 border-t border-zinc-200 bg-zinc-50 px-3 py-3 sm:px-6">
        <button type="button" className="btn btn-primary min-h-11 focus-visible:ring-2 focus-visible:ring-indigo-400 focus-visible:ring-offset-1 sm:min-h-0" onClick={() => chosen != null && onPick(chosen)} disabled={chosen == null} data-testid="accept">
          {chosen != null ? <>Accept “{labels[chosen]}” <kbd className="hidden font-mono text-xs opacity-80 sm:inline">Enter</kbd></> : <>Choose a label <kbd className="hidden font-mono text-xs opacity-80 sm:inline">1–{Math.min(labels.length, 9)} ↑↓</kbd></>}
        </button>
        <button type="button" className="btn min-h-11 focus-visible:ring-2 focus-visible:ring-indigo-400 sm:min-h-0" onClick={onSkip}>Skip <kbd className="hidden font-mono text-xs text-zinc-500 sm:inline">S</kbd></button>
        <button type="button" className="btn min-h-11 focus-visible:ring-2 focus-visible:ring-indigo-400 sm:min-h-0" onClick={onFlag}>Flag <kbd className="hidden font-mono text-xs text-zinc-500 sm:inline">F</kbd></button>
        <button type="button" className="btn ml-auto min-h-11 focus-visible:ring-2 focus-visible:ring-indigo-400 sm:min-h-0" onClick={onUndo} disabled={!canUndo}>Undo <kbd className="hidden font-mono text-xs text-zinc-500 sm:inline">⌫</kbd></button>
      </div>
    </article>
  );
}
