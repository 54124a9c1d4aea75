'use client';
import Link from 'next/link';
import { useEffect } from 'react';

/** The 500 panel shared by app/error.tsx, the console segment's error.tsx and global-error.tsx (styled like the 403). */
export function ErrorPanel({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="mx-auto mt-24 max-w-md px-4 text-center" role="alert" data-testid="error-page">
      <p className="text-5xl font-bold text-zinc-300">500</p>
      <h1 className="mt-2 text-lg font-semibold">Something went wrong</h1>
      <p className="mt-1 text-zinc-600">The page failed to load. Try again; if it keeps failing, tell your lead{error.digest ? <> and quote <code className="font-mono text-xs">{error.digest}</code></> : null}.</p>
      <div className="mt-4 flex justify-center gap-2">
        <button type="button" className="btn btn-primary" onClick={() => reset()}>Try again</button>
        <Link href="/tasks" className="btn">Back to tasks</Link>
      </div>
    </div>
  );
}
