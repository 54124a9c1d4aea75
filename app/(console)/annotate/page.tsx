import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';

export const dynamic = 'force-dynamic';

export default async function AnnotatePage() {
  const user = await currentUser();
  const db = await getDb();
  const [tasks, mine] = await Promise.all([
    listTasks(db),
    db.annotation.groupBy({ by: ['phaseId'], where: { userId: user.id, undoneAt: null }, _count: { _all: true } }),
  ]);
  const myCount = new Map(mine.map((m) => [m.phaseId, m._count._all]));
  const lead = hasRole(user.role, 'lead');
  return (
    <>
      <PageHeader title="Annotate" subtitle="Pick a phase. Its queue shows the items where the student and the teacher disagree most first." />
      <section className="card">
        <table className="data" data-testid="annotate-phases">
          <thead><tr><th>Task / phase</th><th>Labels</th><th className="num">Pool items</th><th className="num">Human labels</th><th className="num">Yours</th><th /></tr></thead>
          <tbody>
            {tasks.flatMap((t) => t.phases.map((p) => (
              <tr key={p.id} data-testid={`annotate-phase-${p.id}`} className="[&>td]:align-middle!">
                <td>
                  <Link href={`/annotate/${p.id}`} className="font-medium text-indigo-700 hover:underline">{t.name} / {p.name}</Link>
                  <Link href={`/phases/${p.id}`} className="ml-2 text-xs text-zinc-500 hover:underline">items</Link>
                </td>
                <td>{p.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>)}</td>
                <td className="num">{p.stats.train.toLocaleString('en-US')}</td>
                <td className="num">{p.stats.humanLabels.toLocaleString('en-US')}</td>
                <td className="num">{(myCount.get(p.id) ?? 0).toLocaleString('en-US')}</td>
                <td className="whitespace-nowrap text-right">
                  <Link href={`/annotate/${p.id}`} className="btn btn-primary">Start</Link>
                  {lead && <Link href={`/annotate/${p.id}/review`} className="btn ml-2">Review</Link>}
                </td>
              </tr>
            )))}
          </tbody>
        </table>
      </section>
    </>
  );
}
