/** A counting semaphore: at most `limit` inference calls run at once (the rest wait their turn). */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error('limit must be >= 1');
  }
  get running(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }
  /** True when a slot is free right now. */
  get free(): boolean {
    return this.active < this.limit;
  }
  tryAcquire(): boolean {
    if (this.active >= this.limit) return false;
    this.active++;
    return true;
  }
  async acquire(): Promise<void> {
    if (this.tryAcquire()) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
    this.onRelease?.();
  }
  /** Called after every release (batchers waiting for a slot re-check). */
  onRelease?: () => void;
}
