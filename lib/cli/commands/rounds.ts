import { readFileSync } from 'node:fs';
import { isFinal } from '../../jobs/queue.ts';
import { getRound, listRounds, startRound, type RoundView } from '../../rounds/rounds.ts';
import { queueYield, type PhaseYield, type YieldCounts } from '../../queue/yield.ts';
import { describeProgress } from '../../jobs/progress.ts';
import { phaseDashboard } from '../../rounds/dashboard.ts';
import { compareRounds, type RoundComparison } from '../../rounds/compare.ts';
import { signed, type RoundReturn, type StoppingSignal } from '../../rounds/returns.ts';
import { updateQueueSettings } from '../../queue/settings.ts';
import { SELECT_BY } from '../../rounds/config.ts';
import { int, str, UsageError } from '../args.ts';
import { table, userByEmail, type CliContext, type Command } from '../context.ts';

const f3 = (x: number | null | undefined) => (x == null ? '—' : x.toFixed(3));

/** The return columns of a round: accuracy points per 100 new labels ± its standard error, and how much its predictions moved. */
function returnCells(r: RoundReturn | null | undefined): Record<string, unknown> {
  return {
    'gain/100 labels': r?.gainPer100 != null ? `${signed(r.gainPer100)} ± ${r.gainPer100Se!.toFixed(1)} pt` : r ? (r.corrections ? '—' : 'no new labels') : '',
    'changed vs prev': r?.pool ? `${(100 * r.pool.changedShare).toFixed(2)}% (κ ${r.pool.kappa.toFixed(3)})` : '',
  };
}

function roundLine(r: RoundView, ret?: RoundReturn | null): Record<string, unknown> {
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
    ...(ret !== undefined ? returnCells(ret) : {}),
    'train ex/s': r.metrics ? Math.round(r.metrics.trainExamplesPerSecond) : '',
    seconds: secs ?? '',
    trigger: r.trigger === 'auto' ? 'auto' : '',
    progress: r.progress && r.status === 'running' ? describeProgress(r.progress).text : '',
  };
}

/** The stopping signal as one line. */
function stoppingLine(s: StoppingSignal): string {
  return `${s.state === 'stop' ? 'STOP' : s.state === 'keep-going' ? 'keep going' : 'too early to tell'}: ${s.reason}`;
}

const rate = (c: YieldCounts) => (c.teacherErrorRate == null ? '—' : `${(100 * c.teacherErrorRate).toFixed(1)}% ± ${(100 * (c.teacherErrorRateSe ?? 0)).toFixed(1)} of ${c.answered}`);

/** One line on the queue's yield: how often people overruled the teacher, queue picks against random audit picks. */
function yieldLine(y: PhaseYield): string {
  return `yield: people overruled the teacher on ${rate(y.queue)} queue picks; random audit picks (baseline) ${rate(y.audit)}${y.lift ? `; ${y.lift.toFixed(1)}× the random rate` : ''}`;
}

/**
 * `rounds --phase ID`: rounds with status, backend, metrics, flags, durations, what each bought per
 * 100 new human labels and how far it moved from the previous student, the stopping signal, and
 * the queue's yield.
 */
async function rounds({ db, args, print }: CliContext): Promise<number> {
  const phaseId = int(args, 'phase')!;
  const [rounds, y, dashboard] = await Promise.all([listRounds(db, phaseId), queueYield(db, phaseId), phaseDashboard(db, phaseId)]);
  const returns = Object.fromEntries(dashboard.rounds.map((r) => [r.number, r.return]));
  print({ rounds, yield: y, returns: dashboard.rounds.flatMap((r) => (r.return ? [r.return] : [])), stopping: dashboard.stopping }, () =>
    [table(rounds.map((r) => roundLine(r, returns[r.number] ?? null))), yieldLine(y), stoppingLine(dashboard.stopping)].join('\n'),
  );
  return 0;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `round compare --phase ID A B`: the human form of compareRounds. */
function comparisonText(c: RoundComparison): string {
  const side = (s: RoundComparison['a']) => ({
    round: s.number,
    arch: s.arch,
    'train items': s.trainExamples ?? '',
    'human labels': s.humanLabelled ?? '',
    'F1 vs teacher': f3(s.vsTeacher?.f1),
    'acc vs teacher': f3(s.vsTeacher?.accuracy),
    'F1 vs human': f3(s.vsHuman?.f1),
    'acc vs human': f3(s.vsHuman?.accuracy),
    'train s': s.trainSeconds != null ? s.trainSeconds.toFixed(1) : '',
    'items/s': s.itemsPerSecond != null ? Math.round(s.itemsPerSecond) : '',
  });
  const gain = (g: RoundComparison['gainVsHuman'], against: string) =>
    g ? `round ${c.b.number} vs ${c.a.number} against ${against} on the test slice: ${signed(100 * g.gain)} ± ${(100 * g.se).toFixed(1)} points (${g.fixed} fixed, ${g.broke} broken of ${g.items})` : `no ${against} on the test slice`;
  const moved = (a: RoundComparison['pool'], where: string) => (a ? `${where}: ${a.changed} of ${a.items} predictions changed (${pct(a.changedShare)}), κ ${a.kappa.toFixed(3)}` : `${where}: nothing to compare`);
  const lines = [
    table([side(c.a), side(c.b)]),
    gain(c.gainVsHuman, 'human labels'),
    gain(c.gainVsTeacher, 'the teacher'),
    moved(c.pool, 'pool'),
    moved(c.test, 'test slice'),
    `changed items: ${c.changed.total} (against human labels: ${c.changed.fixed} fixed, ${c.changed.broke} broken); the first ${c.changed.items.length}:`,
    table(
      c.changed.items.map((i) => ({
        item: i.itemId,
        split: i.split,
        [`round ${c.a.number}`]: i.a.label,
        [`round ${c.b.number}`]: i.b.label,
        teacher: i.teacher?.label ?? '',
        human: i.human ?? '',
        verdict: i.verdict === 'changed' ? '' : i.verdict,
        text: i.text.replace(/\s+/g, ' ').slice(0, 50),
      })),
    ),
  ];
  return lines.join('\n');
}

/** `round show ID`, `round start --phase ID [...] [--wait]`, `round compare --phase ID A B`, `round auto --phase ID --after N|off`. */
async function round({ db, args, sub, io, hooks, print }: CliContext): Promise<number> {
  if (sub === 'compare') {
    const [a, b] = args.positionals.slice(2).map(Number);
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0) throw new UsageError('round compare --phase ID A B (two round numbers of the phase, e.g. 0 1)');
    const limit = int(args, 'limit', false) ?? 20;
    const c = await compareRounds(db, { phaseId: int(args, 'phase')!, a, b, limit });
    print(c, () => comparisonText(c));
    return 0;
  }
  if (sub === 'auto') {
    const after = str(args, 'after');
    if (after !== 'off' && !/^\d+$/.test(after ?? '')) throw new UsageError('round auto --phase ID --after N|off');
    const by = str(args, 'user', false);
    const out = await updateQueueSettings(db, int(args, 'phase')!, { autoRoundAfterLabels: after === 'off' ? null : Number(after) }, by ? (await userByEmail(db, by)).id : null, { rebuild: 'now' });
    print(out.phase, () => (out.phase.autoRoundAfterLabels ? `phase ${out.phase.phaseId}: a worker starts a round after ${out.phase.autoRoundAfterLabels} new human labels` : `phase ${out.phase.phaseId}: automatic rounds off`));
    return 0;
  }
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
  const selectBy = str(args, 'select-by', false);
  if (selectBy && !(SELECT_BY as readonly string[]).includes(selectBy)) throw new UsageError(`--select-by is ${SELECT_BY.join(' or ')}`);
  if (selectBy) config.selectBy = selectBy;
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
    const line = p ? `${r.status}: ${describeProgress(p).text}` : r.status;
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
