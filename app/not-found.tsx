import Link from 'next/link';

export const metadata = { title: 'Not found' };

/** 404 for any page: a missing route, an unknown id, or an id that is not a number (`/phases/abc`). */
export default function NotFound() {
  return (
    <div className="mx-auto mt-24 max-w-md px-4 text-center" data-testid="not-found">
      <p className="text-5xl font-bold text-zinc-300">404</p>
      <h1 className="mt-2 text-lg font-semibold">Not found</h1>
      <p className="mt-1 text-zinc-600">There is no such page, or the thing it names does not exist (any more).</p>
      <Link href="/tasks" className="btn mt-4">Back to tasks</Link>
    </div>
  );
}
