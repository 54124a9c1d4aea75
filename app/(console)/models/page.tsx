import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { DataTable } from '@/components/ui/DataTable';

export const dynamic = 'force-dynamic';

export default async function ModelsPage() {
  await currentUser();
  const db = await getDb();
  const models = await db.studentModel.findMany({ orderBy: { id: 'desc' }, take: 200, include: { round: { include: { phase: true } }, deployments: { where: { rolledBackAt: null } } } });
  return (
    <>
      <PageHeader title="Models" subtitle="Trained students: candidates, approved and deployed." />
      <section className="card">
        <DataTable
          rows={models}
          rowKey={(m) => m.id}
          empty="No student has been trained yet."
          columns={[
            { header: 'Phase', cell: (m) => m.round.phase.name },
            { header: 'Round', num: true, cell: (m) => m.round.number },
            { header: 'Architecture', cell: (m) => m.arch },
            { header: 'Status', cell: (m) => <span className="badge">{m.status}</span> },
            { header: 'Deployed', cell: (m) => (m.deployments.length ? 'yes' : '—') },
            { header: 'Created', className: 'text-zinc-500', cell: (m) => m.createdAt.toISOString().slice(0, 16).replace('T', ' ') },
          ]}
        />
      </section>
    </>
  );
}
