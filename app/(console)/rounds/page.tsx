import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/PageHeader';

export const dynamic = 'force-dynamic';

export default async function RoundsPage() {
  await currentUser();
  const db = await getDb();
  const rounds = await db.round.findMany({ orderBy: { id: 'desc' }, take: 200, include: { phase: { include: { task: true } } } });
  return (
    <>
      <PageHeader title="Rounds" subtitle="Training rounds per phase: status, backend, and the student's scores." />
      <section className="card">
        <table className="data">
          <thead><tr><th>Task / phase</th><th className="num">Round</th><th>Status</th><th>Backend</th><th>Created</th><th>Finished</th></tr></thead>
          <tbody>
            {rounds.map((r) => (
              <tr key={r.id}>
                <td>{r.phase.task.name} / {r.phase.name}</td>
                <td className="num">{r.number}</td>
                <td><span className="badge">{r.status}</span></td>
                <td>{r.backend ?? '—'}</td>
                <td className="text-zinc-500">{r.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
                <td className="text-zinc-500">{r.finishedAt?.toISOString().slice(0, 16).replace('T', ' ') ?? '—'}</td>
              </tr>
            ))}
            {rounds.length === 0 && <tr><td colSpan={6} className="py-6 text-center text-zinc-500">No rounds have run yet.</td></tr>}
          </tbody>
        </table>
      </section>
    </>
  );
}
