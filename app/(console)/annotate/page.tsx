import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/PageHeader';

export const dynamic = 'force-dynamic';

export default async function AnnotatePage() {
  const user = await currentUser();
  const db = await getDb();
  const [tasks, mine] = await Promise.all([
    listTasks(db),
    db.annotation.groupBy({ by: ['phaseId'], where: { userId: user.id, undoneAt: null }, _count: { _all: true } }),
  ]);
  const myCount = new Map(mine.map((m) => [m.phaseId, m._count._all]));
  return (
    <>
      <PageHeader title="Annotate" subtitle="Phases you can label, with the human labels collected so far." />
      <section className="card">
        <table className="data">
          <thead><tr><th>Task / phase</th><th>Labels</th><th className="num">Pool items</th><th className="num">Human labels</th><th className="num">Yours</th></tr></thead>
          <tbody>
            {tasks.flatMap((t) => t.phases.map((p) => (
              <tr key={p.id}>
                <td>{t.name} / <Link href={`/phases/${p.id}`} className="text-indigo-700 hover:underline">{p.name}</Link></td>
                <td>{p.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>)}</td>
                <td className="num">{p.stats.train.toLocaleString('en-US')}</td>
                <td className="num">{p.stats.humanLabels.toLocaleString('en-US')}</td>
                <td className="num">{(myCount.get(p.id) ?? 0).toLocaleString('en-US')}</td>
              </tr>
            )))}
          </tbody>
        </table>
      </section>
      <p className="mt-3 text-zinc-500">Items are queued by teacher–student disagreement once a round has scored the pool.</p>
    </>
  );
}
