/**
 * How far a training job is, said one way everywhere: the console's progress bar, the CLI and
 * the worker's log all call `describeProgress`, so the bar, its line and the log cannot drift
 * apart (the teacher job's bar once ran an epoch ahead of its log: it sent 1-based epochs to a
 * bar that counts from 0). Pure: no database, no React.
 *
 * Conventions of the progress a job stores:
 * - `epoch` is the 0-based index of the epoch being trained, as lib/ml/train.ts reports it; after
 *   an epoch ends, the next one's index with `step` 0 (nothing of it done yet).
 * - `member` is 1-based (the teacher ensemble's member being trained, of `members`).
 * - `etaSeconds` is the worker's estimate of the time left in the current stage, computed when
 *   the progress was written (`trainingEtaSeconds`, `scoringEtaSeconds`); `etaAtMost` marks an
 *   upper bound (early stopping may end training before its epoch cap).
 */

/** The fields of a round's or the demo teacher's progress that describing it needs. */
export interface ProgressFields {
  stage: string;
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  examplesPerSecond?: number;
  member?: number;
  members?: number;
  /** Where the current member's training starts in the whole ensemble's, and its share of it (0…1); equal shares when absent. */
  memberStart?: number;
  memberSpan?: number;
  scored?: number;
  total?: number;
  /** Held-out pool scoring: the fold being trained (1-based), of `folds`. */
  fold?: number;
  folds?: number;
  etaSeconds?: number | null;
  etaAtMost?: boolean;
}

export interface ProgressSummary {
  /** Share of the stage done, 0…1 (training: epochs and steps; scoring: items). */
  share: number;
  /** The 1-based epoch being trained, or null outside training. */
  epoch: number | null;
  /** One line: stage, epoch/step, loss, speed and time left. */
  text: string;
  etaSeconds: number | null;
}

const STAGE_WORDS: Record<string, string> = {
  loading: 'loading the training set',
  exporting: 'exporting ONNX',
  evaluating: 'evaluating on the test slice',
  scoring: 'scoring the pool',
  done: 'done',
  'teacher-eval': 'evaluating the teacher',
  'teacher-scoring': 'recording the teacher’s outputs',
};

/** "45 s", "3 min 5 s", "1 h 2 min". */
export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

export function describeProgress(p: ProgressFields): ProgressSummary {
  let share = 0;
  let epoch: number | null = null;
  const parts: string[] = [];
  const training = (p.stage === 'training' || p.stage === 'teacher') && p.epochs;
  if (training) {
    const epochs = p.epochs!;
    const index = Math.max(0, p.epoch ?? 0);
    const within = p.steps ? Math.min(1, (p.step ?? 0) / p.steps) : 0;
    share = Math.min(1, (index + within) / epochs);
    if (p.stage === 'teacher' && p.memberSpan != null) share = Math.min(1, (p.memberStart ?? 0) + share * p.memberSpan);
    else if (p.stage === 'teacher' && p.members) share = (Math.max(0, (p.member ?? 1) - 1) + share) / p.members;
    epoch = Math.min(index + 1, epochs);
    parts.push(p.stage === 'teacher' ? `teacher member ${p.member ?? 1}/${p.members ?? 1}, epoch ${epoch}/${epochs}` : `training, epoch ${epoch}/${epochs}`);
    if (p.step) parts.push(`step ${p.step}/${p.steps}`);
    if (p.loss != null) parts.push(`loss ${p.loss.toFixed(4)}`);
    if (p.examplesPerSecond) parts.push(`${Math.round(p.examplesPerSecond).toLocaleString('en-US')} ex/s`);
  } else if (p.stage === 'scoring' && p.folds && !p.total) {
    // Before the pool is scored, each item's score comes from a model that did not train on it: one per fold.
    share = Math.max(0, (p.fold ?? 1) - 1) / p.folds;
    parts.push(`scoring the pool: training held-out fold ${p.fold ?? 1}/${p.folds}`);
  } else if (p.stage === 'scoring' && p.total) {
    share = Math.min(1, (p.scored ?? 0) / p.total);
    parts.push(`scoring the pool: ${(p.scored ?? 0).toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}`);
  } else {
    parts.push(STAGE_WORDS[p.stage] ?? p.stage);
    if (p.stage === 'done') share = 1;
  }
  const eta = p.etaSeconds != null && Number.isFinite(p.etaSeconds) ? Math.max(0, p.etaSeconds) : null;
  let text = parts.join(', ');
  if (eta != null) text += ` · ${p.etaAtMost ? 'at most ' : 'about '}${formatSeconds(eta)} left${p.etaAtMost ? ' (early stopping may end it sooner)' : ''}`;
  return { share, epoch, text, etaSeconds: eta };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Seconds of training left: the rest of the current epoch at its own pace, then the remaining
 * epochs (and, for an ensemble, the remaining members' epochs) at the mean pace of the epochs
 * done so far (the current one's pace before any ended). null until there is a pace to go by.
 * `laterMembersCost` is the later members' training in units of the current member's (default:
 * each costs as much as this one).
 */
export function trainingEtaSeconds(
  p: { epoch: number; epochs: number; step: number; steps: number; seconds: number; member?: number; members?: number; laterMembersCost?: number },
  pastEpochSeconds: readonly number[] = [],
): number | null {
  if (!(p.steps > 0) || !(p.epochs > 0)) return null;
  const perStep = p.step > 0 && p.seconds > 0 ? p.seconds / p.step : pastEpochSeconds.length ? mean(pastEpochSeconds) / p.steps : null;
  if (perStep == null) return null;
  const epochSeconds = pastEpochSeconds.length ? mean(pastEpochSeconds) : perStep * p.steps;
  const restOfEpoch = Math.max(0, p.steps - p.step) * perStep;
  const laterEpochs = Math.max(0, p.epochs - p.epoch - 1) * epochSeconds;
  const later = p.laterMembersCost ?? (p.members && p.member ? Math.max(0, p.members - p.member) : 0);
  const laterMembers = later * p.epochs * epochSeconds;
  return restOfEpoch + laterEpochs + laterMembers;
}

/** Seconds of scoring left at the pace so far; null before the first chunk is done. */
export function scoringEtaSeconds(scored: number, total: number, seconds: number): number | null {
  if (!(scored > 0) || !(seconds > 0)) return null;
  return (Math.max(0, total - scored) * seconds) / scored;
}
