/**
 * The annotator's outbox: work not yet acknowledged by the server, kept in localStorage so that
 * a reload or a lost connection loses nothing, and sent in order, one at a time, until each is
 * acknowledged. One at a time so the server's "undo my last annotation" always means the one we
 * mean. Answers carry their item, so that after a reload they can still be shown and undone.
 *
 * Plain TypeScript, no React: the component gives it a transport (`send`) and redraws on `onChange`.
 */
import type { AnswerAction, QueueItem } from './types';

export type Shown = { teacher: number[] | null; student: number[] | null; studentModelId: number | null };

/** What an answer says: the action, its label, and a note for the lead (flags). */
export interface AnswerContent {
  action: AnswerAction;
  label: string | null;
  note?: string | null;
}

export type OutboxOp =
  | ({ kind: 'answer'; clientId: string; item: QueueItem; shown: Shown } & AnswerContent)
  /** Takes back the answer `answerClientId` (ops stored before it existed take back the last answer). */
  | { kind: 'undo'; clientId: string; itemId: number; answerClientId?: string }
  /** Changes a sent answer from its revision `revision` (the server refuses a stale one). */
  | ({ kind: 'change'; clientId: string; answerClientId: string; itemId: number; revision: number } & AnswerContent);

/** What the outbox needs of localStorage (a real Storage, or any object with these two methods). */
export type OutboxStorage = Pick<Storage, 'getItem' | 'setItem'>;

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface OutboxOptions {
  storage: OutboxStorage | null;
  key: string;
  /** Sends one op; resolves once the server acknowledged it. */
  send(op: OutboxOp): Promise<void>;
  /** Errors that a retry cannot fix: the op is dropped and reported to onRejected. Anything else is retried. */
  isPermanent(error: unknown): boolean;
  onChange?(): void;
  onRejected?(op: OutboxOp, error: unknown): void;
  /** Called when the outbox has been emptied by a send loop. */
  onDrained?(): void;
  /** Retry waits double from 1 s up to this (default 30 s). */
  maxBackoffMs?: number;
  timers?: Timers;
}

const browserTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Outbox {
  private queue: OutboxOp[];
  /** The op being sent right now (still first in the queue until acknowledged). */
  private inFlight: OutboxOp | null = null;
  private attempt = 0;
  private retryHandle: unknown = null;
  /** Disposed: another instance may own the storage now, so this one neither sends nor writes. */
  private disposed = false;
  /** The error of the last failed send, until a send succeeds. */
  lastError: unknown = null;

  constructor(private readonly options: OutboxOptions) {
    this.queue = this.load();
  }

  /** Pending ops, in send order. */
  get ops(): readonly OutboxOp[] {
    return this.queue;
  }

  get size(): number {
    return this.queue.length;
  }

  get sending(): boolean {
    return this.inFlight !== null;
  }

  /** A retry is scheduled after a failure. */
  get retrying(): boolean {
    return this.retryHandle !== null;
  }

  /** Pending answers (not undos), e.g. to rebuild the undo stack after a reload. */
  answers(): Extract<OutboxOp, { kind: 'answer' }>[] {
    return this.queue.filter((o): o is Extract<OutboxOp, { kind: 'answer' }> => o.kind === 'answer');
  }

  push(op: OutboxOp): Promise<void> {
    this.queue.push(op);
    this.persist();
    return this.flush();
  }

  /**
   * Takes an answer back: one never sent is simply dropped; one already sent (or in flight) is
   * undone on the server by an undo op sent after it.
   */
  undo(answer: { clientId: string; itemId: number }, undoClientId: string): Promise<void> {
    // Changes of the answer not yet sent have nothing left to change.
    this.queue = this.queue.filter((o) => !(o.kind === 'change' && o.answerClientId === answer.clientId && o !== this.inFlight));
    const idx = this.queue.findIndex((o) => o.clientId === answer.clientId);
    if (idx >= 0 && this.queue[idx] !== this.inFlight) {
      this.queue.splice(idx, 1); // never sent: it simply goes
      this.persist();
      return this.flush();
    }
    return this.push({ kind: 'undo', clientId: undoClientId, itemId: answer.itemId, answerClientId: answer.clientId });
  }

  /**
   * Changes an answer: one never sent is rewritten where it waits (the server sees only the final
   * answer); one sent or in flight is changed on the server by a change op sent after it, from
   * `revision` (the answer's revision as the caller knows it). Returns which of the two it did.
   */
  change(answer: { clientId: string; itemId: number }, content: AnswerContent, revision: number, changeClientId: string): 'rewritten' | 'queued' {
    const op = this.queue.find((o) => o.clientId === answer.clientId);
    if (op && op.kind === 'answer' && op !== this.inFlight) {
      op.action = content.action;
      op.label = content.label;
      op.note = content.note ?? null;
      this.persist();
      this.changed();
      return 'rewritten';
    }
    void this.push({ kind: 'change', clientId: changeClientId, answerClientId: answer.clientId, itemId: answer.itemId, revision, ...content });
    return 'queued';
  }

  /** Sends the queue in order; on a retryable failure waits with exponential backoff and returns. */
  async flush(): Promise<void> {
    if (this.disposed || this.inFlight || this.retryHandle !== null) return;
    while (this.queue.length) {
      const op = this.queue[0];
      this.inFlight = op;
      this.changed();
      try {
        await this.options.send(op);
        if (this.disposed) return; // another instance owns the storage now: it sends what is left
        this.attempt = 0;
        this.lastError = null;
      } catch (e) {
        if (this.disposed) return;
        if (!this.options.isPermanent(e)) {
          this.inFlight = null;
          this.lastError = e;
          this.scheduleRetry();
          this.changed();
          return;
        }
        // An undo queued behind a rejected answer would undo the answer before it instead; a change of it has nothing to change.
        if (op.kind === 'answer') this.queue = this.queue.filter((o) => o === op || !((o.kind === 'undo' && o.itemId === op.item.itemId) || (o.kind === 'change' && o.answerClientId === op.clientId)));
        this.options.onRejected?.(op, e);
      }
      // Acknowledged (or rejected): it leaves the queue. An undo meanwhile never removes the op in flight.
      if (this.queue[0] === op) this.queue.shift();
      this.inFlight = null;
      this.persist();
      this.changed();
    }
    this.options.onDrained?.();
  }

  /** Retries at once (the browser is back online), starting the backoff over. */
  retryNow(): Promise<void> {
    this.cancelRetry();
    this.attempt = 0;
    return this.flush();
  }

  /** Stops sending (the component unmounts): pending ops stay stored for the next instance. */
  dispose(): void {
    this.disposed = true;
    this.cancelRetry();
  }

  private scheduleRetry(): void {
    const wait = Math.min(1000 * 2 ** this.attempt, this.options.maxBackoffMs ?? 30_000);
    this.attempt++;
    const timers = this.options.timers ?? browserTimers;
    this.retryHandle = timers.set(() => {
      this.retryHandle = null;
      void this.flush();
    }, wait);
  }

  private cancelRetry(): void {
    if (this.retryHandle !== null) (this.options.timers ?? browserTimers).clear(this.retryHandle);
    this.retryHandle = null;
  }

  private load(): OutboxOp[] {
    try {
      const raw = this.options.storage?.getItem(this.options.key);
      const ops = raw ? JSON.parse(raw) : [];
      return Array.isArray(ops) ? ops : [];
    } catch {
      return [];
    }
  }

  private persist(): void {
    if (this.disposed) return;
    try {
      this.options.storage?.setItem(this.options.key, JSON.stringify(this.queue));
    } catch {
      /* storage full or blocked: the answers still go out from memory */
    }
  }

  private changed(): void {
    this.options.onChange?.();
  }
}
