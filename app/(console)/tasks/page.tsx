import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { CreateTaskForm } from '@/components/tasks/CreateTaskForm';

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
            <table className="data">
              <thead>
                <tr>
                  <th>Phase</th><th>Labels</th><th>Depends on</th><th className="num">Items</th><th className="num">Train</th><th className="num">Test</th><th className="num">Gold</th><th>Teachers</th>
                </tr>
              </thead>
              <tbody>
                {t.phases.map((p) => (
                  <tr key={p.id} data-testid={`phase-${p.key}`}>
                    <td><Link href={`/phases/${p.id}`} className="font-medium text-indigo-700 hover:underline">{p.name}</Link> <span className="text-xs text-zinc-400">#{p.id}</span></td>
                    <td>{p.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>)}{p.threshold != null && <span className="text-xs text-zinc-500"> threshold {p.threshold}</span>}</td>
                    <td className="text-zinc-600">{p.dependsOn ? `${p.dependsOn.phaseKey} = ${p.dependsOn.label}` : '—'}</td>
                    <td className="num" data-testid="item-count">{fmt(p.stats.items)}</td>
                    <td className="num">{fmt(p.stats.train)}</td>
                    <td className="num">{fmt(p.stats.test)}</td>
                    <td className="num">{fmt(p.stats.gold)}</td>
                    <td>{p.stats.teachers.length ? p.stats.teachers.map((x) => <span key={x.id} className="badge mr-1">{x.name}{x.version ? `@${x.version}` : ''}</span>) : <span className="text-zinc-400">none</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
      {hasRole(user.role, 'lead') && <CreateTaskForm />}
    </>
  );
}
