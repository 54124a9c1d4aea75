import type { Progress } from './types';

/** A progress bar and one line saying where a round or job is. */
export function ProgressLine({ p, status }: { p: Progress | null; status: string }) {
  if (!p || (status !== 'running' && status !== 'queued')) return null;
  let share = 0;
  let text: string = p.stage;
  if ((p.stage === 'training' || p.stage === 'teacher') && p.epochs) {
    const epoch = p.epoch ?? 0;
    const within = p.steps ? (p.step ?? 0) / p.steps : 0;
    share = Math.min(1, (epoch + (p.stage === 'training' && (p.step ?? 0) === 0 ? 0 : within)) / p.epochs);
    if (p.stage === 'teacher' && p.members) share = ((p.member ?? 1) - 1 + share) / p.members;
    text = `${p.stage === 'teacher' ? `teacher member ${p.member}/${p.members}, ` : 'training, '}epoch ${Math.min(epoch + 1, p.epochs)}/${p.epochs}${p.step ? `, step ${p.step}/${p.steps}` : ''}${p.loss != null ? `, loss ${p.loss.toFixed(4)}` : ''}${p.examplesPerSecond ? `, ${Math.round(p.examplesPerSecond)} ex/s` : ''}`;
  } else if (p.stage === 'scoring' && p.total) {
    share = (p.scored ?? 0) / p.total;
    text = `scoring the pool: ${(p.scored ?? 0).toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}`;
  }
  return (
    <div className="min-w-56" data-testid="round-progress">
      <div className="h-1.5 w-full overflow-hidden rounded bg-zinc-100"><div className="h-1.5 bg-indigo-500 transition-all" style={{ width: `${Math.round(share * 100)}%` }} /></div>
      <div className="mt-0.5 text-xs text-zinc-500">{text}</div>
    </div>
  );
}
