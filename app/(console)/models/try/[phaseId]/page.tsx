import { forbidden, notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { userWithRole } from '@/lib/http/page-auth.ts';
import { servingState } from '@/lib/models/deploy.ts';
import { phaseMeta } from '@/lib/tasks/phase.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { TryIt } from '@/components/models/TryIt';

export const dynamic = 'force-dynamic';

export default async function TryItPage({ params }: { params: Promise<{ phaseId: string }> }) {
  const { allowed } = await userWithRole('lead');
  if (!allowed) forbidden();
  const phaseId = Number((await params).phaseId);
  const db = await getDb();
  const phase = Number.isInteger(phaseId) ? await db.phase.findUnique({ where: { id: phaseId } }) : null;
  if (!phase) notFound();
  const live = (await servingState(db, phaseId)).live;
  const meta = await phaseMeta(db, phaseId);
  const model = live ? await db.studentModel.findUnique({ where: { id: live.modelId } }) : null;
  const maxLen = model ? (JSON.parse(model.config) as { student?: { maxLen?: number } }).student?.maxLen ?? 128 : 128;
  return (
    <>
      <PageHeader title={`Try it · ${phase.name}`} subtitle="The deployed student runs in your browser; the predict API answers the same text for comparison." />
      <section className="card">
        {live ? <TryIt phaseId={phaseId} modelId={live.modelId} version={live.version} labels={meta.labels} threshold={meta.threshold} positiveLabel={meta.positiveLabel} maxLen={maxLen} /> : <p className="text-zinc-500">No model is deployed in this phase yet.</p>}
      </section>
    </>
  );
}
