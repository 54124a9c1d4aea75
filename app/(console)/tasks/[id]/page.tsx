import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { parsePageId } from '@/lib/http/page-params.ts';
import { getTask } from '@/lib/tasks/tasks.ts';
import { taskOverview } from '@/lib/tasks/overview.ts';
import { TaskOverview } from '@/components/tasks/TaskOverview';
import { PageHeader } from '@/components/layout/PageHeader';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const task = await getTask(await getDb(), parsePageId(id) ?? id).catch(() => null);
  return { title: task ? task.name : 'Not found' };
}

export default async function TaskPage({ params }: { params: Promise<{ id: string }> }) {
  await currentUser();
  const { id } = await params;
  const db = await getDb();
  const task = await getTask(db, parsePageId(id) ?? id).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  const overview = await taskOverview(db, task.id);
  return (
    <>
      <PageHeader title={task.name} subtitle={<><Link href="/tasks" className="text-indigo-700 hover:underline">Tasks</Link> / {task.slug}</>} />
      {task.description && <p className="mb-4 text-zinc-600">{task.description}</p>}
      <TaskOverview initial={JSON.parse(JSON.stringify(overview))} />
      <div className="grid gap-4 md:grid-cols-2">
        {task.phases.map((p) => (
          <Link key={p.id} href={`/phases/${p.id}`} className="card block p-4 hover:border-indigo-300">
            <div className="flex items-baseline justify-between">
              <h2 className="font-semibold">{p.position + 1}. {p.name}</h2>
              <span className="text-xs text-zinc-500">{p.key}</span>
            </div>
            <div className="mt-2">{p.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>)}</div>
            <dl className="mt-3 grid grid-cols-4 gap-2 text-center">
              {[['items', p.stats.items], ['train', p.stats.train], ['test', p.stats.test], ['gold', p.stats.gold]].map(([k, v]) => (
                <div key={k as string}><dt className="text-xs text-zinc-500">{k}</dt><dd className="font-semibold tabular-nums">{(v as number).toLocaleString('en-US')}</dd></div>
              ))}
            </dl>
            <p className="mt-3 text-xs text-zinc-500">
              {p.threshold != null ? `decision: P(${p.positiveLabel}) ≥ ${p.threshold}` : 'decision: argmax'}
              {p.dependsOn && ` · only items with ${p.dependsOn.phaseKey} = ${p.dependsOn.label}`}
              {` · test slice: newest ${Math.round(p.testFraction * 100)}%`}
            </p>
          </Link>
        ))}
      </div>
    </>
  );
}
