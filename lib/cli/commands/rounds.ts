import { readFileSync } from 'node:fs';
import { isFinal } from '../../jobs/queue.ts';
import { getRound, listRounds, startRound, type RoundView } from '../../rounds/rounds.ts';
import { queueYield, type PhaseYield, type YieldCounts } from '../../queue/yield.ts';
import { int, str, UsageError } from '../args.ts';
import { table, type CliContext, type Command } from '../context.ts';

const f3 = (x: number | null | undefined) => (x == null ? '—' : x.toFixed(3));

function roundLine(r: RoundView): Record<string, unknown> {
  const secs = r.startedAt && r.finishedAt ? Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000) : null;
  return {
    id: r.id,
    round: r.number,
    status: r.status,
    backend: r.backend ?? '',
    'F1 vs teacher': f3(r.metrics?.vsTeacher?.macroF1),
    'F1 vs human': f3(r.metrics?.vsHuman?.macroF1),
    'acc vs human': f3(r.metrics?.vsHuman?.accuracy),
    'val acc': f3(r.metrics?.validation?.accuracy),
    start: r.metrics ? (r.metrics.warmFrom ? `fine-tuned #${r.metrics.warmFrom}` : 'scratch') : '',
    flag: r.metrics?.regression?.flagged ? `REGRESSION (below round ${r.metrics.regression.best?.roundNumber} on validation)` : '',
    'train ex/s': r.metrics ? Math.round(r.metrics.trainExamplesPerSecond) : '',
    seconds: secs ?? '',
    progress: r.progress && r.status === 'running' ? `${r.progress.stage}${r.progress.epoch != null ? ` epoch ${r.progress.epoch + (r.progress.stage === 'training' && r.progress.step ? 1 : 0)}/${r.progress.epochs}` : ''}` : '',
  };
}

const rate = (c: YieldCounts) => (c.teacherErrorRate == null ? '—' : `${(100 * c.teacherErrorRate).toFixed(1)}% ± ${(100 * (c.teacherErrorRateSe ?? 0)).toFixed(1)} of ${c.answered}`);

/** One line on the queue's yield: how often people overruled the teacher, queue picks against random audit picks. */
function yieldLine(y: PhaseYield): string {
  return `yield: people overruled the teacher on ${rate(y.queue)} queue picks; random audit picks (baseline) ${rate(y.audit)}${y.lift ? `; ${y.lift.toFixed(1)}× the random rate` : ''}`;
}

/** `rounds --phase ID`: rounds with status, backend, metrics, flags, durations, and the queue's yield. */
async function rounds({ db, args, print }: CliContext): Promise<number> {
  const phaseId = int(args, 'phase')!;
  const rounds = await listRounds(db, phaseId);
  const y = await queueYield(db, phaseId);
  print({ rounds, yield: y }, () => `${table(rounds.map(roundLine))}\n${yieldLine(y)}`);
  return 0;
}

/** `round show ID`, `round start --phase ID [...] [--wait]`. */
async function round({ db, args, sub, io, hooks, print }: CliContext): Promise<number> {
  if (sub === 'show') {
    const id = Number(args.positionals[2]);
    if (!Number.isInteger(id)) throw new UsageError('round show <id>');
    const r = await getRound(db, id);
    print(r, () => table([roundLine(r)]));
    return 0;
  }
  if (sub !== 'start') throw new UsageError(`unknown: round ${sub ?? ''}`);
  const file = str(args, 'config', false);
  let config: Record<string, any> = {};
  if (file) {
    try {
      config = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read the round config ${file}: ${(e as Error).message}`);
    }
  }
  const arch = str(args, 'arch', false);
  if (arch && arch !== 'textcnn' && arch !== 'bilstm' && arch !== 'ngram') throw new UsageError('--arch is textcnn, bilstm or ngram');
  if (arch) config.model = { ...(config.model ?? {}), arch };
  const num = (name: string) => {
    const v = str(args, name, false);
    if (v === undefined) return undefined;
    if (!Number.isFinite(Number(v))) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return Number(v);
  };
  const train: Record<string, number> = { ...(config.train ?? {}) };
  for (const [flag, key] of [['epochs', 'epochs'], ['temperature', 'temperature'], ['alpha', 'alpha']] as const) {
    const v = num(flag);
    if (v !== undefined) train[key] = v;
  }
  config.train = train;
  if (num('human-weight') !== undefined) config.humanWeight = num('human-weight');
  if (args.flags['no-teacher'] === true) config.useTeacher = false;
  const sampling = str(args, 'sampling', false);
  if (sampling) config.sampling = sampling;
  const round = await startRound(db, { phaseId: int(args, 'phase')!, config });
  if (args.flags.wait !== true) {
    print(round, () => `started round ${round.number} of phase ${round.phaseId} (id ${round.id}); follow it with: npm run cli -- round show ${round.id}`);
    return 0;
  }
  io.err(`round ${round.number} of phase ${round.phaseId} (id ${round.id}) queued; waiting${hooks.startWorker ? ' (running a worker in this process)' : ''}…`);
  const stop = new AbortController();
  const worker = hooks.startWorker?.(stop.signal);
  let last = '';
  let r = await getRound(db, round.id);
  while (!isFinal(r.status) && r.status !== 'succeeded') {
    const p = r.progress;
    const line = p ? `${r.status} ${p.stage}${p.epoch != null ? ` epoch ${p.epoch}/${p.epochs}` : ''}${p.step ? ` step ${p.step}/${p.steps}` : ''}${p.loss != null ? ` loss ${p.loss.toFixed(4)}` : ''}${p.examplesPerSecond ? ` ${Math.round(p.examplesPerSecond)} ex/s` : ''}${p.scored != null ? ` scored ${p.scored}/${p.total}` : ''}` : r.status;
    if (line !== last) io.err(line);
    last = line;
    await new Promise((res) => setTimeout(res, 1000));
    r = await getRound(db, round.id);
  }
  stop.abort();
  await worker;
  print(r, () => table([roundLine(r)]) + (r.error ? `\nerror: ${r.error}` : ''));
  return r.status === 'succeeded' ? 0 : 1;
}

/** `worker`: a job worker in this process until SIGINT/SIGTERM. */
async function worker({ hooks }: CliContext): Promise<number> {
  if (!hooks.startWorker) throw new UsageError('this CLI cannot run a worker');
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await hooks.startWorker(stop.signal);
  return 0;
}

export const commands: Record<string, Command> = { rounds, round, worker };
