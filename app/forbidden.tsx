import Link from 'next/link';

export default function Forbidden() {
  return (
    <div className="mx-auto mt-24 max-w-md text-center">
      <p className="text-5xl font-bold text-zinc-300">403</p>
      <h1 className="mt-2 text-lg font-semibold">Forbidden</h1>
      <p className="mt-1 text-zinc-600">Your role cannot open this page.</p>
      <Link href="/tasks" className="btn mt-4">Back to tasks</Link>
    </div>
  );
}
