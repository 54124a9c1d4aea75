/**
 * The one model contract. Students (an exported ONNX student, a tfjs student rebuilt from its
 * checkpoint), teachers (the reference ensemble) and the serving path all answer
 * `predict(texts) → { probs, numClasses, modelVersion }`, so whatever stores or returns a
 * prediction also knows which model made it.
 *
 * Types only (plus two naming functions): safe to `import type` from the browser.
 */

export interface Prediction {
  /** Class probabilities, n×C row-major, rows in input order. */
  probs: Float32Array;
  numClasses: number;
  /** The model that made them: `phase-<id>/round-<n>` for a round's student, `<name>@<version>` for a teacher. */
  modelVersion: string;
}

export interface Predictor {
  readonly numClasses: number;
  readonly modelVersion: string;
  predict(texts: readonly string[]): Promise<Prediction>;
  /** Frees the runtime's resources (an onnxruntime session); the predictor is unusable after. */
  release(): Promise<void>;
}

/**
 * A round's student, as every stored or served prediction names it: phase and round, `p1.r0`
 * (the registry, the predict API, the ONNX metadata and the scores all use this one spelling).
 */
export function studentModelVersion(phaseId: number, roundNumber: number): string {
  return `p${phaseId}.r${roundNumber}`;
}

/** A teacher: `<name>@<version>`, or the bare name when it has no version (and no `@` of its own). */
export function teacherModelVersion(name: string, version = ''): string {
  return version || name.includes('@') ? `${name}@${version}` : name;
}

/** Inverse of teacherModelVersion: the version is what follows the last `@`. */
export function parseTeacherModelVersion(modelVersion: string): { name: string; version: string } {
  const at = modelVersion.lastIndexOf('@');
  return at <= 0 ? { name: modelVersion, version: '' } : { name: modelVersion.slice(0, at), version: modelVersion.slice(at + 1) };
}
