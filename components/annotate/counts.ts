/**
 * The annotator's counts on screen: the server's counts (which survive a reload) plus what this
 * page changed since the server last counted. A fetched count is taken only when it cannot miss
 * or double-count a local change: nothing changed here while it was in flight, and nothing was
 * waiting to be sent when it started. Otherwise the last good count plus the local changes stays.
 * Plain TypeScript: the component calls begin() in the query function and accept() with its result.
 */
export interface Counts {
  session: number;
  today: number;
  total: number;
}

export interface CountsTicket {
  epoch: number;
  idle: boolean;
}

export class CountsTracker {
  private base: Counts | null = null;
  private delta = 0;
  private epoch = 0;

  /** An answer (+1) or an undo (−1) made on this page. */
  local(change: 1 | -1): void {
    this.delta += change;
    this.epoch++;
  }

  /** Call as a fetch of the counts starts; `idle`: nothing is waiting to be sent. */
  begin(idle: boolean): CountsTicket {
    return { epoch: this.epoch, idle };
  }

  /** The fetched counts, taken when they include every local change and nothing else. Returns whether they were. */
  accept(counts: Counts, ticket: CountsTicket): boolean {
    if (!ticket.idle || ticket.epoch !== this.epoch) return false;
    this.base = { session: counts.session, today: counts.today, total: counts.total };
    this.delta = 0;
    return true;
  }

  /** What to show; null until the server has counted once. */
  view(): Counts | null {
    if (!this.base) return null;
    const add = (x: number) => Math.max(0, x + this.delta);
    return { session: add(this.base.session), today: add(this.base.today), total: add(this.base.total) };
  }
}
