import { describe, expect, it } from 'vitest';
import { hasMalformedPageId, loginPath, parsePageId, safeNextPath } from './page-params.ts';

describe('parsePageId', () => {
  it('accepts positive 32-bit integers', () => {
    expect(parsePageId('1')).toBe(1);
    expect(parsePageId('42')).toBe(42);
    expect(parsePageId('2147483647')).toBe(2147483647);
  });
  it('refuses anything else, so the page answers 404 instead of a database error', () => {
    for (const raw of ['abc', '', '0', '-1', '1e3', '1.5', ' 1', '0x10', '2147483648', '99999999999', '12abc']) {
      expect(parsePageId(raw), raw).toBeNull();
    }
    expect(parsePageId(undefined)).toBeNull();
  });
});

describe('safeNextPath', () => {
  it('keeps same-site paths with their query and hash', () => {
    expect(safeNextPath('/phases/3')).toBe('/phases/3');
    expect(safeNextPath('/phases/3?split=test&after=9#items')).toBe('/phases/3?split=test&after=9#items');
    expect(safeNextPath(['/rounds', '/admin'])).toBe('/rounds');
  });
  it('refuses other hosts, schemes and the login page itself', () => {
    for (const raw of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'phases/3', '', '/login', '/login?next=/x', '/api/tasks', '/a\nb']) {
      expect(safeNextPath(raw), raw).toBe('/tasks');
    }
    expect(safeNextPath(undefined)).toBe('/tasks');
    expect(safeNextPath('//x', '/other')).toBe('/other');
  });
});

describe('loginPath', () => {
  it('carries the target as an encoded next parameter', () => {
    expect(loginPath('/phases/3?split=test')).toBe('/login?next=%2Fphases%2F3%3Fsplit%3Dtest');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath(null)).toBe('/login');
    expect(loginPath('//evil.example')).toBe('/login');
  });
});

describe('hasMalformedPageId', () => {
  it('flags ids in page paths that cannot name a row', () => {
    for (const p of ['/phases/abc', '/phases/0', '/rounds/abc', '/annotate/abc', '/annotate/abc/review', '/models/abc', '/models/99999999999', '/models/try/abc', '/phases/%E0%A4%A']) {
      expect(hasMalformedPageId(p), p).toBe(true);
    }
  });
  it('lets well-formed ids and other pages through', () => {
    for (const p of ['/phases/3', '/rounds/12', '/annotate/1', '/annotate/1/review', '/models/7', '/models/try/2', '/models', '/models/try', '/tasks/demo-slug', '/tasks', '/rounds', '/annotate', '/login']) {
      expect(hasMalformedPageId(p), p).toBe(false);
    }
  });
});
