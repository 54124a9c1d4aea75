import { describe, expect, it } from 'vitest';
import { defaultScope, formatScopes, parseScopes } from './scopes.ts';

describe('token scopes', () => {
  it('stores scopes in a canonical order and reads them back', () => {
    expect(formatScopes(['predict', 'read'])).toBe('read,predict');
    expect(parseScopes('read,predict')).toEqual(['read', 'predict']);
  });
  it('rejects unknown or empty scope lists, and ignores unknown stored names', () => {
    expect(() => formatScopes(['deploy'])).toThrow('unknown scope(s): deploy');
    expect(() => formatScopes([])).toThrow('at least one scope');
    expect(parseScopes('predict,bogus')).toEqual(['predict']);
  });
  it('derives the scope a route needs from its method and role when it names none', () => {
    expect(defaultScope('GET', 'lead')).toBe('read');
    expect(defaultScope('POST', 'annotator')).toBe('annotate');
    expect(defaultScope('PATCH', 'lead')).toBe('admin');
    expect(defaultScope('DELETE', 'admin')).toBe('admin');
  });
});
