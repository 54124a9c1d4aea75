import { classificationReport, type ClassificationReport } from '../ml/metrics.ts';
import { decide, type PhaseMeta } from '../tasks/phase.ts';

export interface ReportJSON {
  labels: string[];
  total: number;
  accuracy: number;
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number; predicted: number }[];
  /** confusion[reference][predicted] */
  confusion: number[][];
}

export function reportJSON(r: ClassificationReport, labels: string[]): ReportJSON {
  const C = labels.length;
  return {
    labels,
    total: r.total,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    macroPrecision: r.macroPrecision,
    macroRecall: r.macroRecall,
    perClass: r.perClass.map((c, i) => ({ label: labels[i], ...c })),
    confusion: Array.from({ length: C }, (_, i) => Array.from(r.confusion.subarray(i * C, i * C + C))),
  };
}

export interface Evaluation {
  /** The student against the teacher's decision on the temporal test slice. */
  vsTeacher: ReportJSON | null;
  /** The student against human labels on the test slice (where present). */
  vsHuman: ReportJSON | null;
  /** The teacher against the same human labels: how far the teacher itself is from people. */
  teacherVsHuman: ReportJSON | null;
  /** Always predicting the teacher's most frequent decision: the bar a student must clear. */
  majorityVsTeacher: { label: string; accuracy: number; macroF1: number } | null;
  testItems: number;
}

export function evaluate(phase: PhaseMeta, student: Float32Array, teacher: Float32Array, hasTeacher: Uint8Array, human: Int32Array): Evaluation {
  const C = phase.labels.length;
  const n = human.length;
  const s = decide(phase, student);
  const t = decide(phase, teacher);
  const tRef = Int32Array.from(t, (v, i) => (hasTeacher[i] ? v : -1));
  const withTeacher = hasTeacher.reduce((a, b) => a + b, 0);
  const withHuman = human.reduce((a, h) => a + (h >= 0 ? 1 : 0), 0);
  let majority: Evaluation['majorityVsTeacher'] = null;
  if (withTeacher) {
    const counts = new Array(C).fill(0);
    for (let i = 0; i < n; i++) if (tRef[i] >= 0) counts[tRef[i]]++;
    const top = counts.indexOf(Math.max(...counts));
    const r = classificationReport(new Int32Array(n).fill(top), tRef, C);
    majority = { label: phase.labels[top], accuracy: r.accuracy, macroF1: r.macroF1 };
  }
  const tForHuman = Int32Array.from(t, (v, i) => (hasTeacher[i] ? v : -1));
  return {
    vsTeacher: withTeacher ? reportJSON(classificationReport(s, tRef, C), phase.labels) : null,
    vsHuman: withHuman ? reportJSON(classificationReport(s, human, C), phase.labels) : null,
    teacherVsHuman: withHuman && withTeacher ? reportJSON(classificationReport(tForHuman, human, C), phase.labels) : null,
    majorityVsTeacher: majority,
    testItems: n,
  };
}
