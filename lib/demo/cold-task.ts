import type { TaskSpec } from '../tasks/spec.ts';

/** COLD as a two-phase moderation task: offensive? then, for offensive items, which topic. */
export const COLD_TASK: TaskSpec = {
  slug: 'cold',
  name: 'Content moderation (COLD)',
  description:
    'Chinese offensive comments (COLD, Deng et al. 2022, Apache-2.0). Row order (train, dev, test files) is the time order; the newest 10% is the temporal test slice.',
  phases: [
    { key: 'offensive', name: 'Offensive?', labels: ['safe', 'offensive'], threshold: 0.5, positiveLabel: 'offensive', testFraction: 0.1, minTextLength: 2 },
    { key: 'topic', name: 'Topic', labels: ['race', 'region', 'gender'], dependsOn: { phase: 'offensive', label: 'offensive' }, testFraction: 0.1, minTextLength: 2 },
  ],
};
