import { describe, expect, it } from 'vitest';
import { modelVersion, transition } from './status.ts';

describe('model status transitions', () => {
  it('walks candidate → approved → deployed → retired → deployed again', () => {
    expect(transition('candidate', 'approve')).toBe('approved');
    expect(transition('approved', 'deploy')).toBe('deployed');
    expect(transition('deployed', 'retire')).toBe('retired');
    expect(transition('retired', 'deploy')).toBe('deployed');
  });
  it('refuses to deploy a candidate, approve a deployed model or reject a retired one (409)', () => {
    expect(() => transition('candidate', 'deploy')).toThrow('a candidate model cannot be deployed: approve it first');
    expect(() => transition('deployed', 'approve')).toThrow('cannot be approved');
    expect(() => transition('retired', 'reject')).toThrow(expect.objectContaining({ status: 409 }));
  });
  it('names versions by phase and round', () => {
    expect(modelVersion(3, 12)).toBe('p3.r12');
  });
});
