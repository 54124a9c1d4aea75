import { describe, expect, it } from 'vitest';
import { explainEmptyQueue, type QueueFacts } from './empty-state.ts';

const now = new Date('2026-02-01T10:00:00Z');
const facts = (over: Partial<QueueFacts> = {}): QueueFacts => ({
  items: 100,
  trainItems: 90,
  teacherOutputs: 90,
  built: true,
  queued: 80,
  open: 0,
  rebuild: null,
  studentModelId: 3,
  trusted: 10,
  relabelTrusted: false,
  dependsOn: null,
  leasedToOthers: 0,
  nextLeaseEnd: null,
  answeredByMe: 0,
  skippedByMe: 0,
  overlap: 1,
  ...over,
});
const reason = (f: Partial<QueueFacts>, lead = false) => explainEmptyQueue(facts(f), { lead, now }).reason;
const kinds = (f: Partial<QueueFacts>, lead: boolean) => explainEmptyQueue(facts(f), { lead, now }).actions.map((a) => a.kind);

describe('explainEmptyQueue', () => {
  it('names the first thing missing, in the order a phase gets going', () => {
    expect(reason({ items: 0, trainItems: 0, teacherOutputs: 0, built: false })).toBe('no-items');
    expect(reason({ items: 5, trainItems: 0, built: false })).toBe('only-test');
    expect(reason({ built: false, rebuild: { jobId: 7, status: 'queued', since: now.toISOString() } })).toBe('building');
    expect(reason({ built: false })).toBe('not-built');
    expect(reason({ queued: 0, trusted: 90 })).toBe('all-trusted');
    expect(reason({ queued: 0, dependsOn: { phaseId: 1, phaseName: 'Offensive?', label: 'offensive' } })).toBe('dependency');
    expect(reason({ queued: 80, open: 0 })).toBe('all-done');
    expect(reason({ open: 4, leasedToOthers: 4, nextLeaseEnd: '2026-02-01T10:05:00Z' })).toBe('leased');
    expect(reason({ open: 4, answeredByMe: 4, overlap: 2 })).toBe('waiting-overlap');
    expect(reason({ open: 3, skippedByMe: 3 })).toBe('waiting-others');
    expect(reason({ open: 4 })).toBe('available');
  });

  it('gives leads the action that fills the queue, and annotators none', () => {
    expect(kinds({ items: 0, trainItems: 0, built: false }, true)).toEqual(['import']);
    expect(kinds({ built: false }, true)).toEqual(['rebuild']);
    expect(kinds({ queued: 80 }, true)).toEqual(['round', 'import']);
    expect(kinds({ queued: 0, trusted: 90 }, true)).toEqual(['relabel-trusted', 'import']);
    for (const f of [{ items: 0, trainItems: 0 }, { built: false }, { queued: 80 }]) expect(kinds(f, false)).toEqual([]);
    expect(explainEmptyQueue(facts({ built: false }), { lead: false, now }).detail).toMatch(/A lead can do this/);
  });

  it('waits by itself for what changes without anyone acting: a job, leases ending', () => {
    const building = explainEmptyQueue(facts({ rebuild: { jobId: 7, status: 'running', since: now.toISOString() } }), { lead: true, now });
    expect(building.retryInMs).toBe(3000);
    expect(building.detail).toMatch(/job 7/);
    const leased = explainEmptyQueue(facts({ open: 2, leasedToOthers: 2, nextLeaseEnd: '2026-02-01T10:00:20Z' }), { lead: false, now });
    expect(leased.retryInMs).toBe(20_500);
    expect(leased.detail).toMatch(/10:00 UTC/);
    expect(explainEmptyQueue(facts({ queued: 80 }), { lead: true, now }).retryInMs).toBe(15_000); // an import or a round may come
  });

  it('says when a rebuild job has waited long for a worker', () => {
    const old = new Date(now.getTime() - 5 * 60_000).toISOString();
    expect(explainEmptyQueue(facts({ rebuild: { jobId: 9, status: 'queued', since: old } }), { lead: true, now }).detail).toMatch(/waited 5 min for a worker: is one running/);
  });

  it('notes how the queue is ordered before any round, and without teacher outputs', () => {
    expect(explainEmptyQueue(facts({ studentModelId: null, open: 3, leasedToOthers: 3 }), { lead: false, now }).notes[0]).toMatch(/least sure/);
    expect(explainEmptyQueue(facts({ teacherOutputs: 0 }), { lead: false, now }).notes[0]).toMatch(/import order/);
  });
});
