/**
 * Why an annotator's queue is empty, in words, and for leads the action that fills it. Pure: the
 * database side (queue-status.ts) gathers the facts; the annotate page and `queue status` in the
 * CLI show the result.
 */

export interface QueueFacts {
  /** All items of the phase, and those in the pool (the train split; the test slice is never queued). */
  items: number;
  trainItems: number;
  /** Pool items with a teacher output. */
  teacherOutputs: number;
  /** A queue has been built (QueueState exists). */
  built: boolean;
  /** Entries the last build queued, and those still open (not answered by `overlap` annotators). */
  queued: number;
  open: number;
  /** A queue rebuild job waiting or running. */
  rebuild: { jobId: number; status: 'queued' | 'running'; since: string } | null;
  /** The student whose scores rank the queue; null before any round scored the pool. */
  studentModelId: number | null;
  /** Pool items with a trusted label (imported gold or a lead's), and whether the phase re-labels them (QA). */
  trusted: number;
  relabelTrusted: boolean;
  /** A dependent phase: only items the earlier phase labels `label` enter its queue. */
  dependsOn: { phaseId: number; phaseName: string; label: string } | null;
  /** Open entries this annotator has not answered that other annotators hold (unexpired leases), and when the first of those leases ends. */
  leasedToOthers: number;
  nextLeaseEnd: string | null;
  /** Open entries this annotator already labelled or flagged (they wait for other annotators, overlap ≥ 2). */
  answeredByMe: number;
  /** Open entries this annotator skipped (they wait for someone else). */
  skippedByMe: number;
  overlap: number;
}

export type EmptyReason = 'no-items' | 'only-test' | 'building' | 'not-built' | 'all-trusted' | 'dependency' | 'all-done' | 'leased' | 'waiting-overlap' | 'waiting-others' | 'available';

export type LeadAction =
  | { kind: 'import'; label: string }
  | { kind: 'rebuild'; label: string }
  | { kind: 'round'; label: string }
  | { kind: 'relabel-trusted'; label: string }
  | { kind: 'earlier-phase'; label: string; phaseId: number };

export interface EmptyState {
  reason: EmptyReason;
  title: string;
  detail: string;
  /** What a lead can do about it (empty for annotators, and when waiting is the answer). */
  actions: LeadAction[];
  /** Ask again after this long: sooner when the state changes by itself (a job finishing, leases ending). */
  retryInMs: number;
  /** Facts worth knowing whatever the reason (how the queue is ordered). */
  notes: string[];
}

/** How often an empty queue is looked at again when nothing in particular is awaited. */
export const RECHECK_MS = 15_000;

/** A job waiting longer than this without a worker taking it probably has no worker to go to. */
export const NO_WORKER_AFTER_MS = 60_000;

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

function clock(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16) + ' UTC';
}

export function explainEmptyQueue(f: QueueFacts, opts: { lead: boolean; now?: Date }): EmptyState {
  const now = (opts.now ?? new Date()).getTime();
  const lead = opts.lead;
  const notes: string[] = [];
  if (f.trainItems > 0 && f.teacherOutputs === 0) notes.push('No teacher outputs have been imported for this phase, so the queue follows the import order.');
  else if (f.built && f.studentModelId == null && f.trainItems > 0) notes.push('No round has scored the pool yet, so the queue serves the items the teacher is least sure about first.');
  // Whatever the reason, the page looks again now and then: an import or a round elsewhere fills the queue.
  const out = (reason: EmptyReason, title: string, detail: string, actions: LeadAction[] = [], retryInMs: number = RECHECK_MS): EmptyState => ({
    reason,
    title,
    detail,
    actions: lead ? actions : [],
    retryInMs,
    notes,
  });
  const askLead = lead ? '' : ' A lead can do this.';

  if (f.items === 0) {
    return out('no-items', 'Nothing has been imported into this phase yet.', `Items arrive by import (CSV or JSONL, from the phase page or the CLI); the queue is built from them automatically.${askLead}`, [{ kind: 'import', label: 'Import items' }]);
  }
  if (f.trainItems === 0) {
    return out('only-test', `All ${plural(f.items, 'item')} of this phase are in the temporal test slice.`, `The newest items are kept for evaluation and never queued; import more (older) items to label.${askLead}`, [{ kind: 'import', label: 'Import items' }]);
  }
  if (f.rebuild) {
    const waited = now - new Date(f.rebuild.since).getTime();
    const stuck = f.rebuild.status === 'queued' && waited > NO_WORKER_AFTER_MS;
    return out(
      'building',
      'The queue is being built.',
      f.rebuild.status === 'running'
        ? `A worker is ranking the ${plural(f.trainItems, 'pool item')} (job ${f.rebuild.jobId}); the first items appear here as soon as it finishes.`
        : stuck
          ? `Job ${f.rebuild.jobId} has waited ${Math.round(waited / 60_000)} min for a worker: is one running (npm run worker)?`
          : `Job ${f.rebuild.jobId} waits for a worker; the first items appear here as soon as it has run.`,
      [],
      3000,
    );
  }
  if (!f.built) {
    return out('not-built', 'The queue of this phase has not been built yet.', `${plural(f.trainItems, 'pool item')} wait to be ranked into the queue.${askLead}`, [{ kind: 'rebuild', label: 'Build the queue' }]);
  }
  if (f.open === 0) {
    if (f.queued === 0 && !f.relabelTrusted && f.trusted >= f.trainItems) {
      return out(
        'all-trusted',
        `Every pool item already carries a trusted label (${plural(f.trusted, 'item')}).`,
        `Items with an imported gold label or a lead's label are not handed out again.${lead ? ' Re-labelling them (for QA) queues them anyway.' : ''}`,
        [{ kind: 'relabel-trusted', label: 'Re-label trusted items (QA)' }, { kind: 'import', label: 'Import more items' }],
      );
    }
    if (f.queued === 0 && f.dependsOn) {
      const d = f.dependsOn;
      return out(
        'dependency',
        `No item has reached this phase yet.`,
        `Items enter this phase's queue once phase “${d.phaseName}” labels them “${d.label}” (a person's label there, else its deployed student's or its teacher's decision).`,
        [{ kind: 'earlier-phase', label: `Annotate “${d.phaseName}”`, phaseId: d.phaseId }, { kind: 'rebuild', label: 'Rebuild the queue' }],
      );
    }
    return out(
      'all-done',
      f.queued > 0 ? `All ${plural(f.queued, 'item')} of the queue have been answered.` : 'Every pool item has been answered.',
      `Nothing is left to label in this phase right now.${lead ? ' A new round re-scores the pool and refills the queue with the items the new student gets wrong; an import adds new items.' : ' New items arrive after the next round or import.'}`,
      [{ kind: 'round', label: 'Start a round' }, { kind: 'import', label: 'Import more items' }],
    );
  }
  if (f.leasedToOthers > 0) {
    const until = f.nextLeaseEnd ? new Date(f.nextLeaseEnd).getTime() : null;
    return out(
      'leased',
      `The ${plural(f.open, 'open item')} ${f.open === 1 ? 'is' : 'are'} being labelled by others right now.`,
      `${plural(f.leasedToOthers, 'item')} ${f.leasedToOthers === 1 ? 'is' : 'are'} held by other annotators${f.answeredByMe ? `, ${n(f.answeredByMe)} you answered already` : ''}. An item not answered in time comes back${f.nextLeaseEnd ? ` (the first at ${clock(f.nextLeaseEnd)})` : ''}; this page checks by itself.`,
      [],
      until == null ? 10_000 : Math.min(60_000, Math.max(2000, until - now + 500)),
    );
  }
  if (f.answeredByMe > 0) {
    return out(
      'waiting-overlap',
      `You answered all ${plural(f.open, 'open item')}.`,
      `Each item is labelled by ${f.overlap} annotators; the ${f.answeredByMe === 1 ? 'one' : plural(f.answeredByMe, 'item')} you answered ${f.answeredByMe === 1 ? 'waits' : 'wait'} for others.`,
      [],
      30_000,
    );
  }
  if (f.skippedByMe > 0) {
    return out(
      'waiting-others',
      `You skipped the ${plural(f.skippedByMe, 'item')} still open.`,
      'A skipped item is not handed to you again; it waits for another annotator. To label one yourself, change your answer under “Your recent answers”.',
      [],
      30_000,
    );
  }
  // Open items nobody holds: they were just freed (a lease ended, a rebuild finished); the next look takes them.
  return out('available', 'New items are ready.', 'Loading them…', [], 2000);
}
