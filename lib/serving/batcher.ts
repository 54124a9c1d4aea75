import { DomainError } from '../errors.ts';
import { Limiter } from './limiter.ts';

/** Priority lanes: when requests wait for an inference slot, `high` is taken first, `low` last. */
export const LANES = ['high', 'normal', 'low'] as const;
export type Lane = (typeof LANES)[number];

export interface BatcherOptions {
  /** Items per inference call at most (a larger single request runs alone). */
  maxBatch: number;
  /** How long the first waiting request waits for company before its batch runs anyway. */
  maxWaitMs: number;
  /** Shared by every model's batcher of the process: inference calls running at once. */
  limiter: Limiter;
  /** Items allowed to wait; beyond this a request is refused with 503 rather than queued without bound. */
  maxQueue: number;
}

interface Pending {
  texts: readonly string[];
  resolve: (probs: Float32Array) => void;
  reject: (e: unknown) => void;
}

export const overloaded = () => new DomainError('the predict service is overloaded; retry shortly', 503, 'overloaded');

/**
 * Micro-batching: concurrent requests for one model are merged into one inference call of up to
 * `maxBatch` items. A batch runs when it is full, when its first request has waited `maxWaitMs`,
 * or as soon as a slot frees while requests wait (they have waited already); the lanes decide
 * who goes into the next batch.
 */
export class MicroBatcher {
  private readonly lanes: Pending[][] = LANES.map(() => []);
  private pendingItems = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private acquiring = false;
  private idleWaiters: (() => void)[] = [];
  /** Batches run and items scored, for the throughput card and tests. */
  readonly stats = { batches: 0, items: 0, maxBatchSeen: 0 };

  constructor(
    private readonly run: (texts: string[]) => Promise<Float32Array>,
    private readonly numClasses: number,
    private readonly opts: BatcherOptions,
  ) {}

  get waiting(): number {
    return this.pendingItems;
  }
  get busy(): boolean {
    return this.pendingItems > 0 || this.inFlight > 0;
  }

  /** Probabilities (n×C) for the texts, scored in some batch with other requests' texts. */
  submit(texts: readonly string[], lane: Lane = 'normal'): Promise<Float32Array> {
    if (texts.length === 0) return Promise.resolve(new Float32Array(0));
    if (this.pendingItems + texts.length > this.opts.maxQueue && this.pendingItems > 0) return Promise.reject(overloaded());
    return new Promise((resolve, reject) => {
      this.lanes[LANES.indexOf(lane)].push({ texts, resolve, reject });
      this.pendingItems += texts.length;
      if (this.pendingItems >= this.opts.maxBatch || this.opts.maxWaitMs <= 0) this.kick();
      else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.opts.maxWaitMs);
    });
  }

  /** Resolves once nothing waits or runs (used before a session is released). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.acquiring || this.pendingItems === 0) return;
    this.acquiring = true;
    void this.opts.limiter.acquire().then(() => {
      this.acquiring = false;
      this.dispatch();
    });
  }

  private take(): Pending[] {
    const batch: Pending[] = [];
    let n = 0;
    for (const lane of this.lanes) {
      while (lane.length && (n === 0 || n + lane[0].texts.length <= this.opts.maxBatch)) {
        const p = lane.shift()!;
        batch.push(p);
        n += p.texts.length;
      }
      if (n >= this.opts.maxBatch) break;
    }
    this.pendingItems -= n;
    return batch;
  }

  private dispatch() {
    const batch = this.take();
    if (!batch.length) {
      this.opts.limiter.release();
      this.settle();
      return;
    }
    this.inFlight++;
    const texts = batch.length === 1 ? [...batch[0].texts] : batch.flatMap((p) => p.texts);
    this.stats.batches++;
    this.stats.items += texts.length;
    this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, texts.length);
    const C = this.numClasses;
    this.run(texts)
      .then((probs) => {
        let off = 0;
        for (const p of batch) {
          p.resolve(probs.slice(off * C, (off + p.texts.length) * C));
          off += p.texts.length;
        }
      })
      .catch((e) => batch.forEach((p) => p.reject(e)))
      .finally(() => {
        this.inFlight--;
        this.opts.limiter.release();
        // Whoever waits now has waited at least one batch's time: go again at once.
        if (this.pendingItems > 0) this.kick();
        this.settle();
      });
    // More than a batch waiting and slots free: start the next one in parallel.
    if (this.pendingItems >= this.opts.maxBatch) this.kick();
  }

  private settle() {
    if (!this.busy) this.idleWaiters.splice(0).forEach((fn) => fn());
  }
}

export function isLane(v: unknown): v is Lane {
  return typeof v === 'string' && (LANES as readonly string[]).includes(v);
}
