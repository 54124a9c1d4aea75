/** Shown in the page area while a console page's server data loads (the sidebar stays). */
export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite" className="animate-pulse" data-testid="loading">
      <span className="sr-only">Loading…</span>
      <div className="mb-2 h-6 w-48 max-w-full rounded bg-zinc-200" />
      <div className="mb-6 h-4 w-80 max-w-full rounded bg-zinc-100" />
      <div className="card h-40" />
    </div>
  );
}
