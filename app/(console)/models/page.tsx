import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { listModels } from '@/lib/rounds/read.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { DataTable } from '@/components/ui/DataTable';

export const dynamic = 'force-dynamic';

export default async function ModelsPage() {
  await currentUser();
  const models = await listModels(await getDb(), 200);
  return (
    <>
      <PageHeader title="Models" subtitle="Trained students: candidates, approved and deployed." />
      <section className="card">
        <DataTable
          rows={models}
          rowKey={(m) => m.id}
          empty="No student has been trained yet."
          columns={[
            { header: 'Phase', cell: (m) => m.phaseName },
            { header: 'Round', num: true, cell: (m) => m.roundNumber },
            { header: 'Architecture', cell: (m) => m.arch },
            { header: 'Status', cell: (m) => <span className="badge">{m.status}</span> },
            { header: 'Deployed', cell: (m) => (m.deployed ? 'yes' : '—') },
            { header: 'Created', className: 'text-zinc-500', cell: (m) => m.createdAt.toISOString().slice(0, 16).replace('T', ' ') },
          ]}
        />
      </section>
    </>
  );
}
