/** One model's probability for one label, as a bar and a percentage. */
export function ProbabilityBar({ p, tone }: { p: number | undefined; tone: 'teacher' | 'student' }) {
  if (p == null) return <span className="text-xs text-zinc-400">—</span>;
  const w = Math.max(0, Math.min(1, p)) * 100;
  return (
    <span className="flex min-w-0 flex-1 items-center gap-2" data-testid={`bar-${tone}`}>
      <span className="relative h-3 min-w-0 flex-1 overflow-hidden rounded-sm bg-zinc-100">
        <span className={`absolute inset-y-0 left-0 ${tone === 'teacher' ? 'bg-sky-500' : 'bg-violet-500'}`} style={{ width: `${w}%` }} />
      </span>
      <span className="w-12 shrink-0 text-right text-xs tabular-nums text-zinc-700">{w.toFixed(1)}%</span>
    </span>
  );
}
