/**
 * Turns a CSV record or a JSONL object into a validated ImportRow, or the reason it is bad.
 * Pure: no I/O, so pass 1 (validate) and pass 2 (write) apply exactly the same rules.
 */

import { checkVector, splitVectorCell, vectorTokens, type TeacherOutputKind } from './teacher.ts';
import { parseTimeKey } from './time.ts';

export interface ImportRow {
  /** 1-based physical line the row starts on. */
  line: number;
  /** The original text (deduplication and noise filtering use its normalised form). */
  text: string;
  externalId: string | null;
  timeKey: number | null;
  goldLabel: string | null;
  /** Item metadata as a JSON object string, or null when there is none. */
  metadata: string | null;
  predictions: Prediction[];
}

export interface Prediction {
  teacher: string;
  /** Probabilities in label order (logits already turned into probabilities). */
  probs: number[];
}

export type RowResult = { ok: true; row: ImportRow } | { ok: false; reason: string };

/** The roles a column (CSV) or key (JSONL) can play; users may rename each. */
export type ColumnRole = 'text' | 'id' | 'time' | 'label';
export const COLUMN_ROLES: readonly ColumnRole[] = ['text', 'id', 'time', 'label'];
export type ColumnNames = Record<ColumnRole, string>;

/** What a row is checked against: the phase's labels and the user's mappings. */
export interface RowRules {
  labels: readonly string[];
  labelSet: ReadonlySet<string>;
  labelMap: Readonly<Record<string, string>>;
  columns: ColumnNames;
}

export function makeRules(labels: readonly string[], labelMap: Record<string, string> = {}, columns: Partial<ColumnNames> = {}): RowRules {
  return {
    labels,
    labelSet: new Set(labels),
    labelMap,
    columns: { text: 'text', id: 'id', time: 'time', label: 'label', ...columns },
  };
}

function labelOf(raw: string, rules: RowRules): { ok: true; label: string } | { ok: false; reason: string } {
  const mapped = Object.prototype.hasOwnProperty.call(rules.labelMap, raw) ? rules.labelMap[raw] : raw;
  if (rules.labelSet.has(mapped)) return { ok: true, label: mapped };
  const mapNote = Object.keys(rules.labelMap).length ? `; labelMap maps ${Object.keys(rules.labelMap).map((k) => JSON.stringify(k)).join(', ')}` : '';
  return { ok: false, reason: `unknown label ${JSON.stringify(raw)} (allowed: ${rules.labels.join(', ')}${mapNote})` };
}

/** The longest item text accepted (characters); docs/import-format.md documents it. */
export const MAX_TEXT_CHARS = 100_000;

/** Texts are stored and hashed as given; these would break one of the two databases. */
function textProblem(what: string, s: string): string | null {
  if (s.length > MAX_TEXT_CHARS) return `${what} is longer than ${MAX_TEXT_CHARS.toLocaleString('en-US')} characters (${s.length.toLocaleString('en-US')})`;
  if (s.indexOf('\u0000') !== -1) return `${what} contains a NUL character (U+0000)`;
  // isWellFormed is in Node 20 but not yet in TypeScript's ES2023 lib.
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return `${what} contains an unpaired UTF-16 surrogate`;
  return null;
}

// ---------------------------------------------------------------- CSV

interface TeacherColumns {
  name: string;
  kind: TeacherOutputKind;
  /** Index of the one column holding the whole vector, or -1. */
  vector: number;
  /** Index of each label's column (label order), when given per label. */
  perLabel: number[] | null;
}

export interface CsvPlan {
  columnCount: number;
  text: number;
  id: number;
  time: number;
  label: number;
  teachers: TeacherColumns[];
  meta: { name: string; index: number }[];
}

const TEACHER_COLUMN = /^(probs|logits):(.+)$/;

/**
 * Reads the header: where each role is, which teacher columns exist, which columns go to
 * metadata. A column with an empty name (COLD's first column) can be named `column<N>`.
 */
export function planCsv(header: string[], rules: RowRules): { ok: true; plan: CsvPlan } | { ok: false; reason: string } {
  const names = header.map((h) => h.trim());
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    if (names[i] === '') continue;
    if (seen.has(names[i])) return { ok: false, reason: `header: column ${JSON.stringify(names[i])} appears twice (columns ${seen.get(names[i])! + 1} and ${i + 1})` };
    seen.set(names[i], i);
  }
  const find = (name: string) => names.findIndex((n, i) => n === name || (n === '' && name === `column${i + 1}`));
  const used = new Set<number>();
  const role = (r: ColumnRole): number => {
    const i = find(rules.columns[r]);
    if (i !== -1) used.add(i);
    return i;
  };
  const text = role('text');
  if (text === -1) {
    const mapped = rules.columns.text !== 'text' ? ` (mapped from "text" by the columns option)` : '';
    return { ok: false, reason: `header: no ${JSON.stringify(rules.columns.text)} column${mapped}; columns are ${names.map((n, i) => JSON.stringify(n || `column${i + 1}`)).join(', ')}` };
  }
  const plan: CsvPlan = { columnCount: names.length, text, id: role('id'), time: role('time'), label: role('label'), teachers: [], meta: [] };
  for (const r of COLUMN_ROLES) {
    if (rules.columns[r] !== r && find(rules.columns[r]) === -1) {
      return { ok: false, reason: `header: no column ${JSON.stringify(rules.columns[r])} (given as the ${r} column)` };
    }
  }
  const teachers = new Map<string, TeacherColumns>();
  for (let i = 0; i < names.length; i++) {
    if (used.has(i)) continue;
    const m = TEACHER_COLUMN.exec(names[i]);
    if (!m) {
      plan.meta.push({ name: names[i] || `column${i + 1}`, index: i });
      continue;
    }
    const kind = m[1] as TeacherOutputKind;
    let name = m[2];
    let labelIndex = -1;
    const colon = name.lastIndexOf(':');
    if (colon > 0 && rules.labelSet.has(name.slice(colon + 1))) {
      labelIndex = rules.labels.indexOf(name.slice(colon + 1));
      name = name.slice(0, colon);
    }
    let t = teachers.get(name);
    if (!t) teachers.set(name, (t = { name, kind, vector: -1, perLabel: null }));
    if (t.kind !== kind) return { ok: false, reason: `header: teacher "${name}" has both probs and logits columns` };
    if (labelIndex === -1) {
      if (t.vector !== -1 || t.perLabel) return { ok: false, reason: `header: teacher "${name}" has more than one ${kind} column` };
      t.vector = i;
    } else {
      if (t.vector !== -1) return { ok: false, reason: `header: teacher "${name}" has both a ${kind}:${name} column and per-label columns` };
      t.perLabel ??= new Array(rules.labels.length).fill(-1);
      t.perLabel[labelIndex] = i;
    }
  }
  for (const t of teachers.values()) {
    if (t.perLabel && t.perLabel.includes(-1)) {
      const missing = rules.labels.filter((_, j) => t.perLabel![j] === -1).map((l) => `${t.kind}:${t.name}:${l}`);
      return { ok: false, reason: `header: teacher "${t.name}" has per-label columns but lacks ${missing.join(', ')}` };
    }
  }
  plan.teachers = [...teachers.values()];
  return { ok: true, plan };
}

export function csvRow(fields: string[], line: number, plan: CsvPlan, rules: RowRules): RowResult {
  const text = fields[plan.text];
  const bad = textProblem('text', text);
  if (bad) return { ok: false, reason: bad };
  let externalId: string | null = null;
  if (plan.id !== -1 && fields[plan.id] !== '') {
    externalId = fields[plan.id];
    const badId = textProblem('id', externalId);
    if (badId) return { ok: false, reason: badId };
  }
  let timeKey: number | null = null;
  if (plan.time !== -1 && fields[plan.time].trim() !== '') {
    const t = parseTimeKey(fields[plan.time]);
    if (!t.ok) return t;
    timeKey = t.value;
  }
  let goldLabel: string | null = null;
  if (plan.label !== -1) {
    const raw = fields[plan.label].trim();
    if (raw !== '') {
      const l = labelOf(raw, rules);
      if (!l.ok) return l;
      goldLabel = l.label;
    }
  }
  const predictions: Prediction[] = [];
  for (const t of plan.teachers) {
    let values: number[];
    if (t.vector !== -1) {
      const cell = fields[t.vector];
      values = splitVectorCell(cell);
      if (values.length === 0) continue; // an empty cell: this teacher has no output for this row
      const v = checkVector(t.name, t.kind, values, rules.labels);
      if (!v.ok) {
        // Again with the raw tokens, so the message can quote the offending one.
        const detailed = checkVector(t.name, t.kind, values, rules.labels, vectorTokens(cell));
        return { ok: false, reason: detailed.ok ? v.reason : detailed.reason };
      }
      predictions.push({ teacher: t.name, probs: v.probs });
    } else {
      const cells = t.perLabel!.map((i) => fields[i].trim());
      if (cells.every((c) => c === '')) continue;
      const empty = cells.findIndex((c) => c === '');
      if (empty !== -1) return { ok: false, reason: `teacher "${t.name}": ${t.kind}:${t.name}:${rules.labels[empty]} is empty` };
      values = cells.map((c) => {
        const one = splitVectorCell(c);
        return one.length === 1 ? one[0] : NaN;
      });
      const v = checkVector(t.name, t.kind, values, rules.labels, cells);
      if (!v.ok) return v;
      predictions.push({ teacher: t.name, probs: v.probs });
    }
  }
  let metadata: string | null = null;
  if (plan.meta.length) {
    const meta: Record<string, string> = {};
    let any = false;
    for (const m of plan.meta) {
      const v = fields[m.index];
      if (v === '') continue;
      meta[m.name] = v;
      any = true;
    }
    if (any) metadata = JSON.stringify(meta);
  }
  return { ok: true, row: { line, text, externalId, timeKey, goldLabel, metadata, predictions } };
}

// ---------------------------------------------------------------- JSONL

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** One JSONL line (already without its newline). Blank lines are skipped by the caller. */
export function jsonlRow(source: string, line: number, rules: RowRules): RowResult {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `expected a JSON object, got ${typeName(value)}` };
  }
  const obj = value as Record<string, unknown>;
  const keys = rules.columns;
  const text = obj[keys.text];
  if (text === undefined) return { ok: false, reason: `missing "${keys.text}"` };
  if (typeof text !== 'string') return { ok: false, reason: `"${keys.text}" must be a string, got ${typeName(text)}` };
  const bad = textProblem('text', text);
  if (bad) return { ok: false, reason: bad };

  let externalId: string | null = null;
  const id = obj[keys.id];
  if (id !== undefined && id !== null && id !== '') {
    if (typeof id !== 'string' && typeof id !== 'number') return { ok: false, reason: `"${keys.id}" must be a string or a number, got ${typeName(id)}` };
    externalId = String(id);
    const badId = textProblem('id', externalId);
    if (badId) return { ok: false, reason: badId };
  }
  let timeKey: number | null = null;
  const time = obj[keys.time];
  if (time !== undefined && time !== null && time !== '') {
    if (typeof time !== 'string' && typeof time !== 'number') return { ok: false, reason: `"${keys.time}" must be a string or a number, got ${typeName(time)}` };
    const t = parseTimeKey(time);
    if (!t.ok) return t;
    timeKey = t.value;
  }
  let goldLabel: string | null = null;
  const label = obj[keys.label];
  if (label !== undefined && label !== null && label !== '') {
    if (typeof label !== 'string' && typeof label !== 'number') return { ok: false, reason: `"${keys.label}" must be a string or a number, got ${typeName(label)}` };
    const l = labelOf(String(label), rules);
    if (!l.ok) return l;
    goldLabel = l.label;
  }
  const predictions: Prediction[] = [];
  const teachers = obj.teachers;
  if (teachers !== undefined && teachers !== null) {
    if (typeof teachers !== 'object' || Array.isArray(teachers)) return { ok: false, reason: `"teachers" must be an object of teacher name → output, got ${typeName(teachers)}` };
    for (const [name, out] of Object.entries(teachers as Record<string, unknown>)) {
      if (name.trim() === '') return { ok: false, reason: 'teacher with an empty name' };
      let kind: TeacherOutputKind = 'probs';
      let values: unknown = out;
      if (out !== null && typeof out === 'object' && !Array.isArray(out)) {
        const o = out as Record<string, unknown>;
        const given = (['probs', 'logits'] as const).filter((k) => o[k] !== undefined);
        if (given.length !== 1) return { ok: false, reason: `teacher "${name}": give exactly one of "probs" or "logits"` };
        kind = given[0];
        values = o[kind];
      }
      if (!Array.isArray(values)) return { ok: false, reason: `teacher "${name}": ${kind} must be an array of numbers, got ${typeName(values)}` };
      const v = checkVector(name, kind, values, rules.labels);
      if (!v.ok) return v;
      predictions.push({ teacher: name, probs: v.probs });
    }
  }
  let metadata: string | null = null;
  const meta = obj.meta;
  if (meta !== undefined && meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) {
    return { ok: false, reason: `"meta" must be an object, got ${typeName(meta)}` };
  }
  // Keys the format does not know are kept as metadata, like CSV's extra columns.
  let extra: Record<string, unknown> | null = null;
  for (const k in obj) {
    if (k === keys.text || k === keys.id || k === keys.time || k === keys.label || k === 'teachers' || k === 'meta') continue;
    (extra ??= {})[k] = obj[k];
  }
  if (extra || meta) metadata = JSON.stringify({ ...extra, ...(meta as object | null) });
  return { ok: true, row: { line, text, externalId, timeKey, goldLabel, metadata, predictions } };
}
