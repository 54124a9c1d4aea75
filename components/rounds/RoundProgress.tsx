import { describeProgress } from '@/lib/jobs/progress.ts';
import type { Progress } from './types';

/** A progress bar and one line saying where a round or job is: the same words and epoch the worker's log prints. */
export function ProgressLine({ p, status }: { p: Progress | null; status: string }) {
  if (!p || (status !== 'running' && status !== 'queued')) return null;
  const { share, text } = describeProgress(p);
  return (
    <div className="min-w-56" data-testid="round-progress">
      <div className="h-1.5 w-full overflow-hidden rounded bg-zinc-100" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
        <div className="h-1.5 bg-indigo-500 transition-all" style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
      <div className="mt-0.5 text-xs text-zinc-500" data-testid="round-progress-text">{text}</div>
    </div>
  );
}
