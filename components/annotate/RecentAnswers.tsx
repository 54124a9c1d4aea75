'use client';
import { useState } from 'react';
import type { AnswerContent } from './outbox';

export interface RecentRow {
  clientId: string;
  itemId: number;
  text: string;
  action: AnswerContent['action'];
  label: string | null;
  note: string | null;
  /** The revision a change starts from (what the server will hold once everything queued is sent). */
  revision: number;
  createdAt: string | null;
  /** Not yet acknowledged by the server. */
  pending: boolean;
  resolution: string | null;
  leadLabel: string | null;
}

const SHOWN = 5;

function answerBadge(r: Pick<RecentRow, 'action' | 'label'>) {
  if (r.action === 'label') return <span className="badge">{r.label}</span>;
  return <span className={`badge ${r.action === 'flag' ? 'bg-amber-100! text-amber-900!' : ''}`}>{r.action === 'flag' ? 'flagged' : 'skipped'}</span>;
}

const RESOLUTION: Record<string, string> = { labelled: 'The lead labelled it', dismissed: 'The lead dismissed the flag', requeued: 'The lead sent it back to the queue' };

/**
 * The annotator's last answers, newest first, each with a Change button: another label, skip,
 * or flag with a note. While a row is being changed the keys do nothing to the current item
 * (`editing` is lifted to the page, which treats it like an open dialog).
 */
export function RecentAnswers({ rows, labels, editing, setEditing, onChange }: {
  rows: RecentRow[];
  labels: string[];
  editing: string | null;
  setEditing: (clientId: string | null) => void;
  onChange: (row: RecentRow, content: AnswerContent) => void;
}) {
  const [all, setAll] = useState(false);
  if (!rows.length) return null;
  const shown = all ? rows : rows.slice(0, SHOWN);
  return (
    <section className="card mt-4" data-testid="recent-answers" aria-label="Your recent answers">
      <h2 className="flex items-baseline justify-between border-b border-zinc-200 px-4 py-2">
        <span className="font-semibold">Your recent answers</span>
        <span className="text-xs text-zinc-500">change one if you got it wrong</span>
      </h2>
      <ul className="divide-y divide-zinc-100">
        {shown.map((r) => (
          <li key={r.clientId} className="px-4 py-2" data-testid={`recent-${r.itemId}`}>
            <div className="flex flex-wrap items-start gap-x-3 gap-y-1">
              {/* Item text is user data: a React text node, never HTML. */}
              <p className="min-w-0 flex-1 basis-56 break-words text-zinc-800 [overflow-wrap:anywhere] line-clamp-2" title={r.text}>{r.text}</p>
              <div className="flex items-center gap-2 text-xs text-zinc-500">
                <span data-testid="recent-answer">{answerBadge(r)}</span>
                {r.pending ? <span>saving…</span> : r.createdAt && <time dateTime={r.createdAt}>{new Date(r.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</time>}
                <button type="button" className="btn min-h-11 px-3 sm:min-h-0" aria-expanded={editing === r.clientId} onClick={() => setEditing(editing === r.clientId ? null : r.clientId)}>
                  {editing === r.clientId ? 'Close' : 'Change'}
                </button>
              </div>
            </div>
            {(r.note || r.resolution || r.leadLabel) && (
              <p className="mt-1 text-xs text-zinc-500">
                {r.note && <>Your note: “{r.note}”. </>}
                {r.resolution && RESOLUTION[r.resolution] && <>{RESOLUTION[r.resolution]}. </>}
                {r.leadLabel && <>Final label (lead): <span className="badge">{r.leadLabel}</span></>}
              </p>
            )}
            {editing === r.clientId && <ChangeRow row={r} labels={labels} onChange={(c) => { onChange(r, c); setEditing(null); }} onCancel={() => setEditing(null)} />}
          </li>
        ))}
      </ul>
      {rows.length > SHOWN && (
        <button type="button" className="w-full border-t border-zinc-100 px-4 py-2 text-sm text-indigo-700 hover:bg-zinc-50" onClick={() => setAll((a) => !a)}>
          {all ? 'Show fewer' : `Show all ${rows.length}`}
        </button>
      )}
    </section>
  );
}

function ChangeRow({ row, labels, onChange, onCancel }: { row: RecentRow; labels: string[]; onChange: (c: AnswerContent) => void; onCancel: () => void }) {
  const [note, setNote] = useState(row.note ?? '');
  const current = (c: AnswerContent) => c.action === row.action && (c.action !== 'label' || c.label === row.label);
  const btn = (c: AnswerContent, text: string, testId: string) => (
    <button key={testId} type="button" data-testid={testId} className={`btn min-h-11 sm:min-h-0 ${current(c) ? 'font-semibold text-indigo-900 ring-2 ring-indigo-500' : ''}`} aria-pressed={current(c)} onClick={() => onChange(c)}>
      {text}
    </button>
  );
  return (
    <div className="mt-2 rounded border border-zinc-200 bg-zinc-50 p-2" data-testid="change-answer">
      <div className="flex flex-wrap gap-1.5">
        {labels.map((l) => btn({ action: 'label', label: l, note: null }, l, `change-to-${l}`))}
        {btn({ action: 'skip', label: null, note: null }, 'Skip', 'change-to-skip')}
      </div>
      <form
        className="mt-2 flex flex-wrap items-center gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ action: 'flag', label: null, note: note.trim() || null });
        }}
      >
        <input className="input min-w-0 flex-1 basis-48" maxLength={2000} placeholder="Note for the lead (optional)" aria-label="Note for the lead" value={note} onChange={(e) => setNote(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && onCancel()} />
        <button type="submit" className="btn min-h-11 sm:min-h-0" data-testid="change-to-flag">{row.action === 'flag' ? 'Save flag note' : 'Flag for the lead'}</button>
      </form>
    </div>
  );
}
