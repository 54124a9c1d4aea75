import { describe, expect, it } from 'vitest';
import { keyCommand, labelForDigits, moveHighlight, type KeyInput } from './keymap';

const press = (key: string, more: Partial<KeyInput> = {}): KeyInput => ({ key, repeat: false, ctrlKey: false, metaKey: false, altKey: false, inTextField: false, ...more });

describe('keyCommand', () => {
  it('maps the annotation keys, and claims them from the browser', () => {
    expect(keyCommand(press('Enter'), '', 3)).toEqual({ command: { kind: 'accept' }, preventDefault: true });
    expect(keyCommand(press('s'), '', 3).command).toEqual({ kind: 'skip' });
    expect(keyCommand(press('S'), '', 3).command).toEqual({ kind: 'skip' });
    expect(keyCommand(press('f'), '', 3).command).toEqual({ kind: 'flag' });
    expect(keyCommand(press('n'), '', 3).command).toEqual({ kind: 'note' });
    expect(keyCommand(press('Backspace'), '', 3)).toEqual({ command: { kind: 'undo' }, preventDefault: true });
    expect(keyCommand(press('?'), '', 3)).toEqual({ command: { kind: 'toggle-help' }, preventDefault: true });
    for (const k of ['ArrowDown', 'ArrowRight']) expect(keyCommand(press(k), '', 3).command).toEqual({ kind: 'move', by: 1 });
    for (const k of ['ArrowUp', 'ArrowLeft']) expect(keyCommand(press(k), '', 3).command).toEqual({ kind: 'move', by: -1 });
    // Escape closes the help but stays the browser's too (it may close other things).
    expect(keyCommand(press('Escape'), '', 3)).toEqual({ command: { kind: 'close-help' }, preventDefault: false });
  });

  it('leaves other keys, shortcuts and typing in fields alone', () => {
    expect(keyCommand(press('a'), '', 3)).toEqual({ command: null, preventDefault: false });
    expect(keyCommand(press('s', { ctrlKey: true }), '', 3)).toEqual({ command: null, preventDefault: false });
    expect(keyCommand(press('Backspace', { metaKey: true }), '', 3).command).toBeNull();
    expect(keyCommand(press('1', { altKey: true }), '', 3).command).toBeNull();
    expect(keyCommand(press('Backspace', { inTextField: true }), '', 3)).toEqual({ command: null, preventDefault: false });
    expect(keyCommand(press('Enter', { inTextField: true }), '', 3).command).toBeNull();
  });

  it('a held key does not act again, but a held Backspace still does not navigate back', () => {
    expect(keyCommand(press('1', { repeat: true }), '', 3)).toEqual({ command: null, preventDefault: false });
    expect(keyCommand(press('Enter', { repeat: true }), '', 3).command).toBeNull();
    expect(keyCommand(press('Backspace', { repeat: true }), '', 3)).toEqual({ command: null, preventDefault: true });
  });

  it('up to 9 labels a digit is taken at once', () => {
    expect(keyCommand(press('2'), '', 3).command).toEqual({ kind: 'digits', typed: '2', complete: true });
    expect(keyCommand(press('9'), '', 9).command).toEqual({ kind: 'digits', typed: '9', complete: true });
    expect(labelForDigits('2', 3)).toBe(1);
    expect(labelForDigits('4', 3)).toBeNull();
    expect(labelForDigits('0', 3)).toBeNull();
  });

  it('with more labels a number is taken as soon as no longer one can follow', () => {
    // 77 labels: "7" could become 70–77, so it waits; "8" cannot (80 > 77); two digits always complete.
    expect(keyCommand(press('7'), '', 77).command).toEqual({ kind: 'digits', typed: '7', complete: false });
    expect(keyCommand(press('3'), '7', 77).command).toEqual({ kind: 'digits', typed: '73', complete: true });
    expect(labelForDigits('73', 77)).toBe(72);
    expect(keyCommand(press('8'), '', 77).command).toEqual({ kind: 'digits', typed: '8', complete: true });
    expect(keyCommand(press('5'), '0', 77).command).toEqual({ kind: 'digits', typed: '05', complete: true });
    expect(labelForDigits('05', 77)).toBe(4);
    expect(labelForDigits('7', 77)).toBe(6); // what the pause takes
    // 12 labels: "1" waits for 10–12, "2" is label 2.
    expect(keyCommand(press('1'), '', 12).command).toMatchObject({ complete: false });
    expect(keyCommand(press('2'), '', 12).command).toMatchObject({ typed: '2', complete: true });
    expect(keyCommand(press('2'), '1', 12).command).toMatchObject({ typed: '12', complete: true });
  });

  it('with the key help open only ? and Escape act: the hidden item cannot be labelled, skipped, flagged or undone', () => {
    const open = (key: string) => keyCommand(press(key, { dialogOpen: true }), '', 3);
    for (const k of ['1', '2', '3', 'Enter', 's', 'f', 'n', 'Backspace', 'ArrowDown', 'ArrowUp']) expect(open(k), k).toEqual({ command: null, preventDefault: false });
    expect(open('?').command).toEqual({ kind: 'toggle-help' });
    expect(open('Escape').command).toEqual({ kind: 'close-help' });
    // Closed again, the same keys act.
    expect(keyCommand(press('1', { dialogOpen: false }), '', 3).command).toMatchObject({ kind: 'digits', typed: '1' });
  });
});

describe('moveHighlight', () => {
  it('starts from no label: down picks the first, up the last', () => {
    expect(moveHighlight(null, 1, 3)).toBe(0);
    expect(moveHighlight(null, -1, 3)).toBe(2);
  });
  it('then moves and wraps', () => {
    expect(moveHighlight(0, 1, 3)).toBe(1);
    expect(moveHighlight(2, 1, 3)).toBe(0);
    expect(moveHighlight(0, -1, 3)).toBe(2);
    expect(moveHighlight(5, 1, 3)).toBe(0); // a stale index (labels changed) restarts
    expect(moveHighlight(null, 1, 0)).toBeNull();
  });
});
