/**
 * The skeleton a console page shows while its server data loads (the sidebar stays).
 * Only list pages and leaf pages without a 403/404 use it: a loading.tsx makes the page stream,
 * and once streaming has started notFound()/forbidden() can no longer set the status code.
 */
export function PageLoading() {
  return (
    <div aria-busy="true" aria-live="polite" className="animate-pulse" data-testid="loading">
      <span className="sr-only">Loading…</span>
      <div className="mb-2 h-6 w-48 max-w-full rounded bg-zinc-200" />
      <div className="mb-6 h-4 w-80 max-w-full rounded bg-zinc-100" />
      <div className="card h-40" />
    </div>
  );
}
