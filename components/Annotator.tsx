'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, ApiError } from './api';
import type { AnnotationAck, AnswerAction, MyCounts, QueueBatch, QueueItem, UndoResult } from './annotate-types';

/** Fetch more items when fewer than this many are left in the local buffer. */
const LOW_WATER = 3;
const BATCH = 10;
const MAX_BACKOFF_MS = 30_000;

/**
 * Work not yet acknowledged by the server, in the order it must be sent: answers (which carry
 * the item, so that a reload can still show and undo them) and undos of answers already sent.
 * Sent one at a time so the server's "undo my last annotation" always means the one we mean.
 */
type Op =
  | { kind: 'answer'; clientId: string; item: QueueItem; action: AnswerAction; label: string | null; shown: Shown }
  | { kind: 'undo'; clientId: string; itemId: number };
type Shown = { teacher: number[] | null; student: number[] | null; studentModelId: number | null };

/** The undo stack: answers of this page session (and answers still pending from an earlier one). */
interface Answered {
  clientId: string;
  item: QueueItem;
  action: AnswerAction;
  label: string | null;
}

function newClientId(): string {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const storageKey = (userId: number, phaseId: number) => `distillery:annotate:outbox:${userId}:${phaseId}`;

function loadOutbox(key: string): Op[] {
  try {
    const raw = localStorage.getItem(key);
    const ops = raw ? JSON.parse(raw) : [];
    return Array.isArray(ops) ? ops : [];
  } catch {
    return [];
  }
}

/** 4xx answers that will not change on retry; everything else (network, 5xx, 401, 429) is retried. */
const permanent = (e: unknown) => e instanceof ApiError && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);

export function Annotator({ phaseId, userId, phaseName, initialLabels }: { phaseId: number; userId: number; phaseName: string; initialLabels: string[] }) {
  const qc = useQueryClient();
  const key = storageKey(userId, phaseId);
  // Mutable session state lives in a ref (async senders read it); render() redraws.
  const s = useRef({
    buffer: [] as QueueItem[],
    history: [] as Answered[],
    outbox: [] as Op[],
    sending: null as Op | null,
    attempt: 0,
    retryTimer: null as ReturnType<typeof setTimeout> | null,
    fetching: false,
    exhaustedAt: 0,
    loaded: false,
    lastError: null as string | null,
  });
  const [, render] = useReducer((x: number) => x + 1, 0);
  const [labels, setLabels] = useState(initialLabels);
  const [remaining, setRemaining] = useState<number | null>(null);
  const [highlight, setHighlight] = useState(0);
  const [help, setHelp] = useState(false);
  const [sessionCount, setSessionCount] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [fetchError, setFetchError] = useState<string | null>(null);
  const digits = useRef<{ typed: string; timer: ReturnType<typeof setTimeout> | null }>({ typed: '', timer: null });

  const mine = useQuery({
    queryKey: ['annotations-mine', phaseId],
    queryFn: () => api<MyCounts>(`/api/phases/${phaseId}/annotations/mine`),
    refetchInterval: 30_000,
  });

  const persist = useCallback(() => {
    try {
      localStorage.setItem(key, JSON.stringify(s.current.outbox));
    } catch {
      /* storage full or blocked: the answers still go out from memory */
    }
  }, [key]);

  const answeredIds = () => {
    const ids = new Set<number>();
    for (const h of s.current.history) ids.add(h.item.itemId);
    for (const op of s.current.outbox) if (op.kind === 'answer') ids.add(op.item.itemId);
    return ids;
  };

  const fetchMore = useCallback(async () => {
    const st = s.current;
    if (st.fetching || !st.loaded) return;
    st.fetching = true;
    try {
      // The server hands our own unexpired leases back first: ask for enough to get new ones too.
      const unacked = st.outbox.filter((o) => o.kind === 'answer').length;
      const limit = Math.min(st.buffer.length + unacked + BATCH, 100);
      const batch = await qc.fetchQuery({
        queryKey: ['queue-next', phaseId, limit, Date.now()],
        queryFn: () => api<QueueBatch>(`/api/phases/${phaseId}/queue/next?limit=${limit}`),
        staleTime: 0,
        gcTime: 0,
      });
      setFetchError(null);
      if (batch.labels?.length) setLabels(batch.labels);
      const skip = answeredIds();
      for (const it of st.buffer) skip.add(it.itemId);
      const fresh = batch.items.filter((it) => !skip.has(it.itemId));
      const wasEmpty = st.buffer.length === 0;
      st.buffer.push(...fresh);
      st.exhaustedAt = fresh.length === 0 ? Date.now() : 0;
      setRemaining(batch.remaining);
      if (wasEmpty && fresh.length) setHighlight(suggested(st.buffer[0], batch.labels ?? labels));
      render();
    } catch (e) {
      setFetchError((e as Error).message);
      st.exhaustedAt = Date.now();
    } finally {
      st.fetching = false;
    }
  }, [phaseId, qc, labels]);

  /** Sends the outbox in order; on a retryable failure waits with exponential backoff. */
  const flush = useCallback(async () => {
    const st = s.current;
    if (st.sending || st.retryTimer) return;
    while (st.outbox.length) {
      const op = st.outbox[0];
      st.sending = op;
      render();
      try {
        if (op.kind === 'answer') {
          await api<AnnotationAck>(`/api/phases/${phaseId}/annotations`, {
            body: { itemId: op.item.itemId, clientId: op.clientId, action: op.action, ...(op.label != null ? { label: op.label } : {}), shown: op.shown },
          });
        } else {
          // The op's own id makes a retried undo (lost answer) a no-op on the server.
          await api<UndoResult>(`/api/phases/${phaseId}/annotations/undo`, { method: 'POST', body: { opId: op.clientId } }).catch((e) => {
            if (e instanceof ApiError && e.status === 404) return null; // already undone elsewhere
            throw e;
          });
        }
        st.attempt = 0;
        st.lastError = null;
      } catch (e) {
        if (!permanent(e)) {
          st.sending = null;
          st.lastError = e instanceof ApiError && e.status === 401 ? 'Your session has expired: log in again in another tab; your answers are kept here and sent then.' : e instanceof ApiError ? e.message : 'the server cannot be reached';
          const wait = Math.min(1000 * 2 ** st.attempt, MAX_BACKOFF_MS);
          st.attempt++;
          st.retryTimer = setTimeout(() => {
            st.retryTimer = null;
            void flush();
          }, wait);
          render();
          return;
        }
        setNotice(`Not saved: ${(e as Error).message}`);
        st.history = st.history.filter((h) => h.clientId !== op.clientId);
        // An undo queued behind a rejected answer would undo the answer before it instead.
        if (op.kind === 'answer') st.outbox = st.outbox.filter((o) => o === op || !(o.kind === 'undo' && o.itemId === op.item.itemId));
      }
      // The op may have been removed meanwhile (an undo of a pending answer never removes the op in flight).
      if (st.outbox[0] === op) st.outbox.shift();
      st.sending = null;
      persist();
      render();
    }
    void qc.invalidateQueries({ queryKey: ['annotations-mine', phaseId] });
  }, [phaseId, persist, qc]);

  // Load (once per user and phase): answers pending from an earlier visit are re-sent first, then
  // the queue is fetched. flush and fetchMore read the session ref, so they need not be deps.
  useEffect(() => {
    const st = s.current;
    st.outbox = loadOutbox(key);
    st.history = st.outbox.flatMap((o) => (o.kind === 'answer' ? [{ clientId: o.clientId, item: o.item, action: o.action, label: o.label }] : []));
    render();
    void flush().finally(() => {
      st.loaded = true; // only now may the buffer be filled
      void fetchMore();
    });
    const online = () => {
      if (st.retryTimer) clearTimeout(st.retryTimer);
      st.retryTimer = null;
      st.attempt = 0;
      void flush();
    };
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      if (st.retryTimer) clearTimeout(st.retryTimer);
      st.retryTimer = null;
    };
  }, [key]);

  const current = s.current.buffer[0] as QueueItem | undefined;

  // Keep the buffer topped up while the current item is worked on.
  useEffect(() => {
    const st = s.current;
    if (!st.loaded || st.buffer.length >= LOW_WATER) return;
    const wait = st.exhaustedAt ? Math.max(0, st.exhaustedAt + 10_000 - Date.now()) : 0;
    const t = setTimeout(() => void fetchMore(), wait);
    return () => clearTimeout(t);
  });

  const answer = useCallback(
    (action: AnswerAction, label: string | null) => {
      const st = s.current;
      const item = st.buffer[0];
      if (!item) return;
      const op: Op = {
        kind: 'answer',
        clientId: newClientId(),
        item,
        action,
        label,
        shown: { teacher: item.teacher?.probs ?? null, student: item.student?.probs ?? null, studentModelId: item.student?.modelId ?? null },
      };
      st.buffer.shift();
      st.history.push({ clientId: op.clientId, item, action, label });
      st.outbox.push(op);
      persist();
      setNotice(null);
      setSessionCount((n) => n + 1);
      if (action !== 'skip') setRemaining((r) => (r == null ? r : Math.max(0, r - 1))); // a skipped item stays queued for others
      if (st.buffer[0]) setHighlight(suggested(st.buffer[0], labels));
      render();
      void flush();
    },
    [flush, labels, persist],
  );

  const undo = useCallback(async () => {
    const st = s.current;
    const last = st.history.pop();
    if (last) {
      const idx = st.outbox.findIndex((o) => o.clientId === last.clientId);
      if (idx >= 0 && st.outbox[idx] !== st.sending) st.outbox.splice(idx, 1); // never sent: just drop it
      else st.outbox.push({ kind: 'undo', clientId: newClientId(), itemId: last.item.itemId });
      persist();
      st.buffer = [last.item, ...st.buffer.filter((it) => it.itemId !== last.item.itemId)];
      setSessionCount((n) => Math.max(0, n - 1));
      if (last.action !== 'skip') setRemaining((r) => (r == null ? r : r + 1));
      setHighlight(last.label ? Math.max(0, labels.indexOf(last.label)) : suggested(last.item, labels));
      setNotice(null);
      render();
      void flush();
      return;
    }
    // Nothing from this session: undo the last answer saved earlier (the server returns its item).
    if (st.outbox.length || st.sending) return;
    try {
      const r = await api<UndoResult>(`/api/phases/${phaseId}/annotations/undo`, { method: 'POST', body: { opId: newClientId() } });
      st.buffer = [r.item, ...st.buffer.filter((it) => it.itemId !== r.item.itemId)];
      setHighlight(r.undone.label ? Math.max(0, labels.indexOf(r.undone.label)) : suggested(r.item, labels));
      setRemaining((x) => (x == null ? x : x + 1));
      void qc.invalidateQueries({ queryKey: ['annotations-mine', phaseId] });
      render();
    } catch (e) {
      setNotice(e instanceof ApiError && e.status === 404 ? 'Nothing to undo.' : `Undo failed: ${(e as Error).message}`);
    }
  }, [flush, labels, persist, phaseId, qc]);

  useEffect(() => {
    const pickDigits = (typed: string) => {
      const n = Number(typed);
      if (n >= 1 && n <= labels.length) {
        setHighlight(n - 1);
        answer('label', labels[n - 1]);
      }
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      const d = digits.current;
      if (e.key === '?') {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      if (e.key === 'Escape') return setHelp(false);
      if (e.key === 'Backspace') {
        e.preventDefault();
        if (!e.repeat) void undo();
        return;
      }
      if (e.repeat) return; // a held key must not label a run of items
      if (/^[0-9]$/.test(e.key)) {
        e.preventDefault();
        // Up to 9 labels: one key. More: type the number; it is taken as soon as it is unambiguous.
        const typed = d.typed + e.key;
        if (d.timer) clearTimeout(d.timer);
        d.timer = null;
        if (Number(typed) * 10 > labels.length || typed.length >= String(labels.length).length) {
          d.typed = '';
          pickDigits(typed);
        } else {
          d.typed = typed;
          d.timer = setTimeout(() => {
            d.typed = '';
            pickDigits(typed);
          }, 700);
        }
        return;
      }
      const k = e.key.toLowerCase();
      if (e.key === 'Enter') {
        e.preventDefault();
        if (labels[highlight]) answer('label', labels[highlight]);
      } else if (k === 's') {
        e.preventDefault();
        answer('skip', null);
      } else if (k === 'f') {
        e.preventDefault();
        answer('flag', null);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
        e.preventDefault();
        setHighlight((h) => (h + 1) % labels.length);
      } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
        e.preventDefault();
        setHighlight((h) => (h - 1 + labels.length) % labels.length);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [answer, undo, labels, highlight]);

  const st = s.current;
  const pending = st.outbox.length;
  const status = pending ? `${pending} pending${st.retryTimer ? ' · retrying' : ''}` : st.loaded ? 'all saved' : 'loading…';

  return (
    <div className="mx-auto max-w-4xl">
      <div className="mb-3 flex flex-wrap items-center gap-x-5 gap-y-1 text-zinc-600">
        <span>
          This session: <strong className="tabular-nums text-zinc-900" data-testid="session-count">{sessionCount}</strong>
        </span>
        <span>
          Queue remaining: <strong className="tabular-nums text-zinc-900" data-testid="queue-remaining">{remaining == null ? '—' : remaining.toLocaleString('en-US')}</strong>
        </span>
        {mine.data && (
          <span className="text-zinc-500">
            Yours in {phaseName}: <span className="tabular-nums">{mine.data.total.toLocaleString('en-US')}</span> ({mine.data.today.toLocaleString('en-US')} today)
          </span>
        )}
        <span role="status" data-testid="save-status" title={st.lastError ?? undefined} className={`ml-auto inline-block rounded px-2 py-0.5 text-xs font-medium ${pending ? 'bg-amber-100 text-amber-900' : 'bg-green-100 text-green-800'}`}>
          {status}
        </span>
        <button type="button" className="btn" onClick={() => setHelp((h) => !h)} aria-expanded={help}>
          Keys <kbd className="font-mono text-xs">?</kbd>
        </button>
      </div>
      {notice && <p className="mb-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900" role="alert">{notice}</p>}
      {st.lastError && st.retryTimer && <p className="mb-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900" data-testid="save-error">Saving is retried: {st.lastError}</p>}
      {fetchError && <p className="mb-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-red-800" role="alert">Could not load items: {fetchError}</p>}
      {help && <KeyHelp labels={labels} onClose={() => setHelp(false)} />}

      {current ? (
        <ItemView key={current.itemId} item={current} labels={labels} highlight={highlight} onPick={(i) => answer('label', labels[i])} onSkip={() => answer('skip', null)} onFlag={() => answer('flag', null)} onUndo={() => void undo()} canUndo={st.history.length > 0} />
      ) : (
        <div className="card px-6 py-12 text-center text-base text-zinc-500" data-testid={!st.loaded || st.fetching ? 'queue-loading' : 'queue-empty'}>
          {!st.loaded || st.fetching ? 'Loading items…' : 'Nothing left to annotate in this phase right now. New items arrive when the queue is rebuilt after a round.'}
          {st.history.length > 0 && (
            <div className="mt-3">
              <button type="button" className="btn" onClick={() => void undo()}>Undo last (Backspace)</button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** Highlight starts at the student's label, else the teacher's. */
function suggested(item: QueueItem | undefined, labels: string[]): number {
  const l = item?.student?.label ?? item?.teacher?.label;
  const i = l ? labels.indexOf(l) : -1;
  return i >= 0 ? i : 0;
}

function keyFor(i: number) {
  return String(i + 1);
}

function ItemView({ item, labels, highlight, onPick, onSkip, onFlag, onUndo, canUndo }: {
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
                <kbd className={`inline-flex h-7 w-7 items-center justify-center rounded border font-mono text-sm ${on ? 'border-indigo-500 bg-white text-indigo-700' : 'border-zinc-300 bg-zinc-50 text-zinc-700'}`}>{keyFor(i)}</kbd>
                <span className={`truncate text-base ${on ? 'font-semibold text-indigo-900' : 'text-zinc-800'}`}>
                  {l}
                  {item.teacher?.label === l && <span className="ml-1.5 text-xs font-normal text-zinc-500">teacher</span>}
                  {item.student?.label === l && <span className="ml-1.5 text-xs font-normal text-zinc-500">student</span>}
                </span>
                <Bar p={item.teacher?.probs[i]} tone="teacher" />
                <Bar p={item.student?.probs[i]} tone="student" />
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

function Bar({ p, tone }: { p: number | undefined; tone: 'teacher' | 'student' }) {
  if (p == null) return <span className="text-xs text-zinc-400">—</span>;
  const w = Math.max(0, Math.min(1, p)) * 100;
  return (
    <span className="flex items-center gap-2" data-testid={`bar-${tone}`}>
      <span className="relative h-3 flex-1 overflow-hidden rounded-sm bg-zinc-100">
        <span className={`absolute inset-y-0 left-0 ${tone === 'teacher' ? 'bg-sky-500' : 'bg-violet-500'}`} style={{ width: `${w}%` }} />
      </span>
      <span className="w-12 text-right text-xs tabular-nums text-zinc-700">{w.toFixed(1)}%</span>
    </span>
  );
}

function KeyHelp({ labels, onClose }: { labels: string[]; onClose: () => void }) {
  const rows: [string, string][] = [
    ...labels.slice(0, 12).map((l, i): [string, string] => [keyFor(i), `label “${l}” and go to the next item`]),
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
        <table className="data">
          <tbody>
            {rows.map(([k, what]) => (
              <tr key={k}><td className="w-24"><kbd className="rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 font-mono text-xs">{k}</kbd></td><td>{what}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
