import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/layout/PageHeader';

export const dynamic = 'force-dynamic';

export default async function ModelsPage() {
  await currentUser();
  const db = await getDb();
  const models = await db.studentModel.findMany({ orderBy: { id: 'desc' }, take: 200, include: { round: { include: { phase: true } }, deployments: { where: { rolledBackAt: null } } } });
  return (
    <>
      <PageHeader title="Models" subtitle="Trained students: candidates, approved and deployed." />
      <section className="card">
        <table className="data">
          <thead><tr><th>Phase</th><th className="num">Round</th><th>Architecture</th><th>Status</th><th>Deployed</th><th>Created</th></tr></thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id}>
                <td>{m.round.phase.name}</td>
                <td className="num">{m.round.number}</td>
                <td>{m.arch}</td>
                <td><span className="badge">{m.status}</span></td>
                <td>{m.deployments.length ? 'yes' : '—'}</td>
                <td className="text-zinc-500">{m.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
              </tr>
            ))}
            {models.length === 0 && <tr><td colSpan={6} className="py-6 text-center text-zinc-500">No student has been trained yet.</td></tr>}
          </tbody>
        </table>
      </section>
    </>
  );
}
