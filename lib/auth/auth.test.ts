import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password.ts';
import { hasRole } from './roles.ts';
import { hashSecret, newSecret } from './tokens.ts';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one; salts differ', async () => {
    const h1 = await hashPassword('correct horse');
    const h2 = await hashPassword('correct horse');
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse', h1)).toBe(true);
    expect(await verifyPassword('correct horsf', h1)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('roles', () => {
  it('orders annotator < lead < admin', () => {
    expect(hasRole('admin', 'lead')).toBe(true);
    expect(hasRole('lead', 'lead')).toBe(true);
    expect(hasRole('annotator', 'lead')).toBe(false);
    expect(hasRole('lead', 'admin')).toBe(false);
    expect(hasRole('root', 'annotator')).toBe(false);
  });
});

describe('secrets', () => {
  it('are random, prefixed, and stored as SHA-256', () => {
    const a = newSecret('dt');
    expect(a).toMatch(/^dt_[\w-]{32}$/);
    expect(newSecret('dt')).not.toBe(a);
    expect(hashSecret(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
