import { describe, expect, it } from 'vitest';
import { taskSpecSchema } from './spec.ts';
import { COLD_TASK } from '../demo/cold-task.ts';

const base = {
  slug: 'mod',
  name: 'Moderation',
  phases: [
    { key: 'p1', name: 'P1', labels: ['safe', 'offensive'], threshold: 0.4 },
    { key: 'p2', name: 'P2', labels: ['a', 'b', 'c'], dependsOn: { phase: 'p1', label: 'offensive' } },
  ],
};

const issues = (spec: unknown) => {
  const r = taskSpecSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('task spec', () => {
  it('accepts a two-phase task with a dependency and fills defaults', () => {
    const spec = taskSpecSchema.parse(base);
    expect(spec.phases[0].testFraction).toBe(0.1);
    expect(spec.phases[1].overlap).toBe(1);
    expect(taskSpecSchema.parse(COLD_TASK).phases).toHaveLength(2);
  });
  it('rejects a dependency on a later or unknown phase, and an unknown label', () => {
    expect(issues({ ...base, phases: [base.phases[1], base.phases[0]] })).toContain('phases.0.dependsOn.phase: "p1" is not an earlier phase');
    expect(issues({ ...base, phases: [base.phases[0], { ...base.phases[1], dependsOn: { phase: 'p1', label: 'nope' } }] })).toContain(
      'phases.1.dependsOn.label: "nope" is not a label of phase "p1"',
    );
  });
  it('rejects duplicate labels, duplicate keys, a threshold on a multi-class phase, bad slugs', () => {
    expect(issues({ ...base, phases: [{ key: 'x', name: 'X', labels: ['a', 'a'] }] })).toContain('phases.0.labels: labels must be unique');
    expect(issues({ ...base, phases: [base.phases[0], base.phases[0]] })).toContain('phases.1.key: duplicate phase key "p1"');
    expect(issues({ ...base, phases: [{ key: 'x', name: 'X', labels: ['a', 'b', 'c'], threshold: 0.5 }] })).toContain('phases.0.threshold: a threshold needs exactly two labels');
    expect(issues({ ...base, slug: 'Bad Slug' })[0]).toMatch(/^slug: use lowercase/);
    expect(issues({ ...base, phases: [] })).toContain('phases: a task needs at least one phase');
  });
});
