'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, ApiError } from '@/components/api';
import type { AnnotationAck, AnswerAction, ChangeResult, MyCounts, QueueBatch, RecentAnswer, UndoResult } from './types';
import { ItemView } from './ItemView';
import { KeyHelp } from './KeyHelp';
import { LeaseBuffer } from './lease-buffer';
import { Outbox, type AnswerContent, type OutboxOp } from './outbox';
import { initialHighlight } from './suggested-label';
import { useAnnotatorKeys } from './use-annotator-keys';
import { CountsTracker } from './counts';
import { QueueEmpty } from './QueueEmpty';
import { FlagNote } from './FlagNote';
import { RecentAnswers, type RecentRow } from './RecentAnswers';

/**
 * The undo stack: answers of this page session (and answers still pending from an earlier one),
 * with what they say now and the revision a change of them starts from.
 */
type Answered = Pick<Extract<OutboxOp, { kind: 'answer' }>, 'clientId' | 'item'> & AnswerContent & { revision: number; createdAt: string | null };

function newClientId(): string {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const storageKey = (userId: number, phaseId: number) => `distillery:annotate:outbox:${userId}:${phaseId}`;

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // blocked: the answers still go out from memory
  }
}

/** 4xx answers that will not change on retry; everything else (network, 5xx, 401, 429) is retried. */
const permanent = (e: unknown) => e instanceof ApiError && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);

const saveErrorMessage = (e: unknown) =>
  e instanceof ApiError && e.status === 401 ? 'Your session has expired: log in again in another tab; your answers are kept here and sent then.' : e instanceof ApiError ? e.message : 'the server cannot be reached';

/** An undone item shows the label it had (to change it with one key); an undone skip or flag starts unchosen. */
function undoneHighlight(label: string | null | undefined, item: Parameters<typeof initialHighlight>[0], labels: string[]): number | null {
  const i = label ? labels.indexOf(label) : -1;
  return i >= 0 ? i : initialHighlight(item, labels);
}

/** `showScores`: leads see the JS / KL / margin / loss numbers; annotators see them in plain words. */
export function Annotator({ phaseId, userId, phaseName, initialLabels, showScores = false }: { phaseId: number; userId: number; phaseName: string; initialLabels: string[]; showScores?: boolean }) {
  const qc = useQueryClient();
  const key = storageKey(userId, phaseId);
  // Mutable session state lives in a ref (async senders read it); render() redraws.
  const s = useRef({
    buffer: new LeaseBuffer(),
    history: [] as Answered[],
    outbox: null as Outbox | null,
    loaded: false,
    counts: new CountsTracker(),
    /** Changes made here to answers the server lists, until the server's list shows them: clientId → content and resulting revision. */
    changed: new Map<string, AnswerContent & { revision: number }>(),
  });
  const [, render] = useReducer((x: number) => x + 1, 0);
  const [labels, setLabels] = useState(initialLabels);
  const [remaining, setRemaining] = useState<number | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  const [help, setHelp] = useState(false);
  const [ready, setReady] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [fetchError, setFetchError] = useState<string | null>(null);
  /** The last flag, for its note bar; `noteFocus` bumps when N asks for the note field. */
  const [flagged, setFlagged] = useState<{ clientId: string; itemId: number; text: string } | null>(null);
  const [noteFocus, setNoteFocus] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);

  // Counts come from the server (they survive a reload); the tracker adds what this page did since.
  const mine = useQuery({
    queryKey: ['annotations-mine', phaseId],
    queryFn: async () => {
      const ticket = s.current.counts.begin(!s.current.outbox?.size);
      const data = await api<MyCounts>(`/api/phases/${phaseId}/annotations/mine?tzOffset=${new Date().getTimezoneOffset()}`);
      return { data, ticket };
    },
    enabled: ready,
    refetchInterval: 30_000,
  });
  useEffect(() => {
    if (mine.data && s.current.counts.accept(mine.data.data, mine.data.ticket)) render();
  }, [mine.data]);
  const recent = useQuery({
    queryKey: ['annotations-recent', phaseId],
    queryFn: () => api<{ answers: RecentAnswer[] }>(`/api/phases/${phaseId}/annotations/recent?limit=20`),
    enabled: ready,
  });
  const refreshMine = useCallback(() => {
    void qc.invalidateQueries({ queryKey: ['annotations-mine', phaseId] });
    void qc.invalidateQueries({ queryKey: ['annotations-recent', phaseId] });
  }, [qc, phaseId]);

  const answeredIds = () => {
    const ids = new Set<number>();
    for (const h of s.current.history) ids.add(h.item.itemId);
    for (const op of s.current.outbox?.answers() ?? []) ids.add(op.item.itemId);
    return ids;
  };

  const fetchMore = useCallback(async () => {
    const st = s.current;
    const buffer = st.buffer;
    if (buffer.fetching || !st.loaded) return;
    buffer.fetching = true;
    try {
      const limit = buffer.fetchLimit(st.outbox?.answers().length ?? 0);
      const batch = await qc.fetchQuery({
        queryKey: ['queue-next', phaseId, limit, Date.now()],
        queryFn: () => api<QueueBatch>(`/api/phases/${phaseId}/queue/next?limit=${limit}`),
        staleTime: 0,
        gcTime: 0,
      });
      setFetchError(null);
      if (batch.labels?.length) setLabels(batch.labels);
      const wasEmpty = buffer.size === 0;
      const fresh = buffer.add(batch.items, answeredIds(), Date.now());
      setRemaining(batch.remaining);
      if (wasEmpty && fresh.length) setHighlight(initialHighlight(buffer.current, batch.labels ?? labels));
      render();
    } catch (e) {
      setFetchError((e as Error).message);
      buffer.fetchFailed(Date.now());
    } finally {
      buffer.fetching = false;
    }
  }, [phaseId, qc, labels]);

  // Load (once per user and phase): answers pending from an earlier visit are re-sent first, then
  // the queue is fetched. fetchMore reads the session ref, so it need not be a dep.
  useEffect(() => {
    const st = s.current;
    const outbox = new Outbox({
      storage: browserStorage(),
      key,
      send: async (op) => {
        if (op.kind === 'answer') {
          await api<AnnotationAck>(`/api/phases/${phaseId}/annotations`, {
            body: { itemId: op.item.itemId, clientId: op.clientId, action: op.action, ...(op.label != null ? { label: op.label } : {}), ...(op.note ? { note: op.note } : {}), shown: op.shown },
          });
        } else if (op.kind === 'change') {
          // By client id and revision: a retried change (lost answer) is recognised, a stale one refused.
          await api<ChangeResult>(`/api/phases/${phaseId}/annotations/change`, { body: { clientId: op.answerClientId, action: op.action, label: op.label, note: op.note ?? null, revision: op.revision } });
        } else {
          // The op's own id makes a retried undo (lost answer) a no-op on the server; the answer's id says which one.
          await api<UndoResult>(`/api/phases/${phaseId}/annotations/undo`, { method: 'POST', body: { opId: op.clientId, ...(op.answerClientId ? { answerClientId: op.answerClientId } : {}) } }).catch((e) => {
            if (e instanceof ApiError && e.status === 404) return null; // already undone elsewhere
            throw e;
          });
        }
      },
      isPermanent: permanent,
      onChange: render,
      onRejected: (op, e) => {
        if (op.kind === 'change') {
          setNotice(`Change not saved: ${(e as Error).message}`);
          st.changed.delete(op.answerClientId);
          refreshMine();
          return;
        }
        setNotice(`Not saved: ${(e as Error).message}`);
        st.history = st.history.filter((h) => h.clientId !== op.clientId);
      },
      onDrained: refreshMine,
    });
    st.outbox = outbox;
    st.history = outbox.answers().map(({ clientId, item, action, label, note }) => ({ clientId, item, action, label, note: note ?? null, revision: 0, createdAt: null }));
    // Changes still waiting from an earlier visit show as made.
    for (const op of outbox.ops) if (op.kind === 'change') st.changed.set(op.answerClientId, { action: op.action, label: op.label, note: op.note ?? null, revision: op.revision + 1 });
    render();
    void outbox.flush().finally(() => {
      st.loaded = true; // only now may the buffer be filled, and the counts asked for (nothing from before is pending)
      setReady(true);
      void fetchMore();
    });
    const online = () => void outbox.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      outbox.dispose();
    };
  }, [key]);

  const current = s.current.buffer.current;

  // Keep the buffer topped up while the current item is worked on.
  useEffect(() => {
    const st = s.current;
    const wait = st.loaded ? st.buffer.refillIn(Date.now()) : null;
    if (wait == null) return;
    const t = setTimeout(() => void fetchMore(), wait);
    return () => clearTimeout(t);
  });

  const answer = useCallback(
    (action: AnswerAction, label: string | null) => {
      const st = s.current;
      const item = st.buffer.current;
      if (!item || !st.outbox) return;
      const op: OutboxOp = {
        kind: 'answer',
        clientId: newClientId(),
        item,
        action,
        label,
        shown: { teacher: item.teacher?.probs ?? null, student: item.student?.probs ?? null, studentModelId: item.student?.modelId ?? null },
      };
      st.buffer.take();
      st.history.push({ clientId: op.clientId, item, action, label, note: null, revision: 0, createdAt: new Date().toISOString() });
      st.counts.local(1);
      setNotice(null);
      if (action === 'flag') setFlagged({ clientId: op.clientId, itemId: item.itemId, text: item.text });
      if (action !== 'skip') setRemaining((r) => (r == null ? r : Math.max(0, r - 1))); // a skipped item stays queued for others
      setHighlight(initialHighlight(st.buffer.current, labels));
      render();
      void st.outbox.push(op);
    },
    [labels],
  );

  /** Changes an answer: rewritten in the outbox while unsent, else a change op from the revision it is at. */
  const changeAnswer = useCallback((row: Pick<RecentRow, 'clientId' | 'itemId' | 'revision'>, content: AnswerContent) => {
    const st = s.current;
    if (!st.outbox) return;
    const how = st.outbox.change({ clientId: row.clientId, itemId: row.itemId }, content, row.revision, newClientId());
    const revision = how === 'queued' ? row.revision + 1 : row.revision;
    st.changed.set(row.clientId, { ...content, revision });
    const h = st.history.find((x) => x.clientId === row.clientId);
    if (h) Object.assign(h, content, { revision });
    if (content.action !== 'flag') setFlagged((f) => (f?.clientId === row.clientId ? null : f));
    setNotice(null);
    render();
  }, []);

  const saveFlagNote = (note: string) => {
    const h = s.current.history.find((x) => x.clientId === flagged?.clientId);
    if (h && h.action === 'flag') changeAnswer({ clientId: h.clientId, itemId: h.item.itemId, revision: h.revision }, { action: 'flag', label: null, note });
    setFlagged(null);
    setNotice('Note saved for the lead.');
  };

  const undo = useCallback(async () => {
    const st = s.current;
    if (!st.outbox) return;
    const last = st.history.pop();
    if (last) {
      st.buffer.putFirst(last.item);
      st.counts.local(-1);
      setFlagged((f) => (f?.clientId === last.clientId ? null : f));
      if (last.action !== 'skip') setRemaining((r) => (r == null ? r : r + 1));
      setHighlight(undoneHighlight(last.label, last.item, labels));
      setNotice(null);
      render();
      void st.outbox.undo({ clientId: last.clientId, itemId: last.item.itemId }, newClientId());
      return;
    }
    // Nothing from this session: undo the last answer saved earlier (the server returns its item).
    if (st.outbox.size || st.outbox.sending) return;
    try {
      const r = await api<UndoResult>(`/api/phases/${phaseId}/annotations/undo`, { method: 'POST', body: { opId: newClientId() } });
      st.buffer.putFirst(r.item);
      st.counts.local(-1);
      setHighlight(undoneHighlight(r.undone.label, r.item, labels));
      setRemaining((x) => (x == null ? x : x + 1));
      refreshMine();
      render();
    } catch (e) {
      setNotice(e instanceof ApiError && e.status === 404 ? 'Nothing to undo.' : `Undo failed: ${(e as Error).message}`);
    }
  }, [labels, phaseId, refreshMine]);

  const closeEditor = useCallback(() => setEditing(null), []);
  const focusNote = useCallback(() => setNoteFocus((n) => (flagged ? n + 1 : n)), [flagged]);
  useAnnotatorKeys({ labels, highlight, setHighlight, help, setHelp, blocked: editing != null, answer, undo, onEscape: closeEditor, onNote: focusNote });

  const st = s.current;
  const pending = st.outbox?.size ?? 0;
  const retrying = st.outbox?.retrying ?? false;
  const lastError = st.outbox?.lastError ? saveErrorMessage(st.outbox.lastError) : null;
  const status = pending ? `${pending} pending${retrying ? ' · retrying' : ''}` : st.loaded ? 'all saved' : 'loading…';
  const loading = !st.loaded || (st.buffer.fetching && !st.buffer.drained);
  const counts = st.counts.view();
  const count = (n: number | undefined) => (n == null ? '—' : n.toLocaleString('en-US'));
  const rows = recentRows(st.history, recent.data?.answers ?? [], st.changed, new Set(st.outbox?.answers().map((o) => o.clientId) ?? []));

  return (
    <div className="mx-auto max-w-4xl">
      <div className="mb-3 flex flex-wrap items-center gap-x-5 gap-y-1 text-zinc-600" data-testid="annotator-counts">
        <span>
          This session: <strong className="tabular-nums text-zinc-900" data-testid="session-count">{count(counts?.session)}</strong>
        </span>
        <span>
          Today: <strong className="tabular-nums text-zinc-900" data-testid="today-count">{count(counts?.today)}</strong>
        </span>
        <span title={`Your answers in ${phaseName} that stand (labels, skips and flags)`}>
          In all: <strong className="tabular-nums text-zinc-900" data-testid="total-count">{count(counts?.total)}</strong>
        </span>
        <span>
          Queue remaining: <strong className="tabular-nums text-zinc-900" data-testid="queue-remaining">{remaining == null ? '—' : remaining.toLocaleString('en-US')}</strong>
        </span>
        <span role="status" data-testid="save-status" title={lastError ?? undefined} className={`ml-auto inline-block rounded px-2 py-0.5 text-xs font-medium ${pending ? 'bg-amber-100 text-amber-900' : 'bg-green-100 text-green-800'}`}>
          {status}
        </span>
        <button type="button" className="btn" onClick={() => setHelp((h) => !h)} aria-expanded={help}>
          Keys <kbd className="font-mono text-xs">?</kbd>
        </button>
      </div>
      {notice && <p className="mb-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900" role="alert">{notice}</p>}
      {lastError && retrying && <p className="mb-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900" data-testid="save-error">Saving is retried: {lastError}</p>}
      {fetchError && <p className="mb-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-red-800" role="alert">Could not load items: {fetchError}</p>}
      {help && <KeyHelp labels={labels} onClose={() => setHelp(false)} />}
      {flagged && <FlagNote key={flagged.clientId} itemId={flagged.itemId} text={flagged.text} focusSignal={noteFocus} onSave={saveFlagNote} onClose={() => setFlagged(null)} />}

      {current ? (
        <ItemView key={current.itemId} item={current} labels={labels} highlight={highlight} showScores={showScores} onPick={(i) => answer('label', labels[i])} onSkip={() => answer('skip', null)} onFlag={() => answer('flag', null)} onUndo={() => void undo()} canUndo={st.history.length > 0} />
      ) : loading ? (
        <div className="card px-6 py-12 text-center text-base text-zinc-500" data-testid="queue-loading">Loading items…</div>
      ) : (
        <QueueEmpty
          phaseId={phaseId}
          onRetry={() => {
            st.buffer.retryNow();
            render();
          }}
        >
          {st.history.length > 0 && (
            <div className="mt-4">
              <button type="button" className="btn" onClick={() => void undo()}>Undo last (Backspace)</button>
            </div>
          )}
        </QueueEmpty>
      )}
      <RecentAnswers rows={rows} labels={labels} editing={editing} setEditing={setEditing} onChange={changeAnswer} />
    </div>
  );
}

/**
 * The recent answers list: answers of this page the server does not list yet (newest first), then
 * the server's list with changes made here shown until the server has them.
 */
function recentRows(history: Answered[], server: RecentAnswer[], changed: Map<string, AnswerContent & { revision: number }>, unsent: Set<string>): RecentRow[] {
  const listed = new Set(server.map((r) => r.clientId));
  const local: RecentRow[] = [...history]
    .reverse()
    .filter((h) => !listed.has(h.clientId))
    .map((h) => ({ clientId: h.clientId, itemId: h.item.itemId, text: h.item.text, action: h.action, label: h.label, note: h.note ?? null, revision: h.revision, createdAt: h.createdAt, pending: unsent.has(h.clientId), resolution: null, leadLabel: null }));
  const fromServer: RecentRow[] = server.map((r) => {
    const mine = changed.get(r.clientId);
    const ahead = mine != null && mine.revision > r.revision;
    return {
      ...r,
      ...(ahead ? { action: mine.action, label: mine.label, note: mine.note ?? null, revision: mine.revision } : {}),
      pending: ahead,
    };
  });
  return [...local, ...fromServer].slice(0, 20);
}
