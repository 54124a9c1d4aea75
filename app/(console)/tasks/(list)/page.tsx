import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { CreateTaskForm } from '@/components/tasks/CreateTaskForm';
import { DataTable } from '@/components/ui/DataTable';

export const metadata = { title: 'Tasks' };

export const dynamic = 'force-dynamic';
const fmt = (n: number) => n.toLocaleString('en-US');

export default async function TasksPage() {
  const user = await currentUser();
  const tasks = await listTasks(await getDb());
  return (
    <>
      <PageHeader title="Tasks" subtitle="Labeling tasks, their phases and the data each phase holds." />
      {tasks.length === 0 && <p className="card p-6 text-zinc-500">No tasks yet. A lead creates one below or with <code>npm run cli -- task create</code>.</p>}
      <div className="space-y-4">
        {tasks.map((t) => (
          <section key={t.id} className="card" data-testid={`task-${t.slug}`}>
            <header className="flex items-baseline justify-between border-b border-zinc-200 px-4 py-3">
              <div>
                <Link href={`/tasks/${t.id}`} className="font-semibold text-indigo-700 hover:underline">{t.name}</Link>
                <span className="ml-2 text-xs text-zinc-500">{t.slug}</span>
                {t.description && <p className="mt-0.5 text-zinc-500">{t.description}</p>}
              </div>
              <span className="text-xs text-zinc-500">{t.phases.length} phase{t.phases.length === 1 ? '' : 's'}</span>
            </header>
            <DataTable
              rows={t.phases}
              rowKey={(p) => p.id}
              rowTestId={(p) => `phase-${p.key}`}
              columns={[
                { header: 'Phase', cell: (p) => <><Link href={`/phases/${p.id}`} className="font-medium text-indigo-700 hover:underline">{p.name}</Link> <span className="text-xs text-zinc-400">#{p.id}</span></> },
                { header: 'Labels', cell: (p) => <>{p.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>)}{p.threshold != null && <span className="text-xs text-zinc-500"> threshold {p.threshold}</span>}</> },
                { header: 'Depends on', className: 'text-zinc-600', cell: (p) => (p.dependsOn ? `${p.dependsOn.phaseKey} = ${p.dependsOn.label}` : '—') },
                { header: 'Items', num: true, td: () => ({ 'data-testid': 'item-count' }), cell: (p) => fmt(p.stats.items) },
                { header: 'Train', num: true, cell: (p) => fmt(p.stats.train) },
                { header: 'Test', num: true, cell: (p) => fmt(p.stats.test) },
                { header: 'Gold', num: true, cell: (p) => fmt(p.stats.gold) },
                { header: 'Teachers', cell: (p) => (p.stats.teachers.length ? p.stats.teachers.map((x) => <span key={x.id} className="badge mr-1">{x.name}{x.version ? `@${x.version}` : ''}</span>) : <span className="text-zinc-400">none</span>) },
              ]}
            />
          </section>
        ))}
      </div>
      {hasRole(user.role, 'lead') && <CreateTaskForm />}
    </>
  );
}
