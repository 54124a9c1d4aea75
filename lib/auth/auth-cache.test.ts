import { describe, expect, it } from 'vitest';
import { AuthCache } from './auth-cache.ts';

const lead = { id: 1, email: 'l@x', name: 'l', role: 'lead' as const };

describe('AuthCache', () => {
  it('keeps a lookup for its time to live, then forgets it', () => {
    let t = 0;
    const c = new AuthCache(5000, () => t);
    c.set('token:a', lead, c.ticket());
    t = 4999;
    expect(c.get('token:a')).toEqual(lead);
    t = 5000;
    expect(c.get('token:a')).toBeNull();
  });

  it('never outlives a session that expires sooner', () => {
    let t = 0;
    const c = new AuthCache(5000, () => t);
    c.set('session:a', lead, c.ticket(), 100);
    t = 100;
    expect(c.get('session:a')).toBeNull();
  });

  it('drops everything on clear, and refuses a lookup read before the clear', () => {
    const c = new AuthCache(5000, () => 0);
    c.set('token:a', lead, c.ticket());
    const before = c.ticket(); // a request reads the database…
    c.clear(); // …while a revoke commits and clears
    expect(c.get('token:a')).toBeNull();
    c.set('token:b', lead, before);
    expect(c.get('token:b')).toBeNull();
    c.set('token:b', lead, c.ticket());
    expect(c.get('token:b')).toEqual(lead);
  });

  it('is off at 0 and bounded in size', () => {
    const off = new AuthCache(0, () => 0);
    off.set('token:a', lead, off.ticket());
    expect(off.get('token:a')).toBeNull();
    const small = new AuthCache(5000, () => 0, 3);
    for (const k of ['a', 'b', 'c', 'd']) small.set(k, lead, small.ticket());
    expect(small.size).toBeLessThanOrEqual(3);
  });
});
