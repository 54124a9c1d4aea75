import { describe, expect, it } from 'vitest';
import { int, json, parseArgs, UsageError } from './args.ts';

describe('parseArgs', () => {
  it('reads positionals, valued flags, = flags and boolean flags', () => {
    const a = parseArgs(['import', '--phase', '3', 'file.csv', '--skip-invalid', '--label-map={"0":"a"}', '--json']);
    expect(a.positionals).toEqual(['import', 'file.csv']);
    expect(a.flags).toEqual({ phase: '3', 'skip-invalid': true, 'label-map': '{"0":"a"}', json: true });
    expect(int(a, 'phase')).toBe(3);
    expect(json(a, 'label-map')).toEqual({ '0': 'a' });
  });
  it('explains bad values', () => {
    expect(() => int(parseArgs(['--phase', 'x']), 'phase')).toThrow(new UsageError('--phase must be an integer, got "x"'));
    expect(() => int(parseArgs([]), 'phase')).toThrow('--phase <value> is required');
    expect(() => json(parseArgs(['--columns', '{x']), 'columns')).toThrow(/--columns is not valid JSON/);
  });
});
