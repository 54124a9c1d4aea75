import { forbidden, notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { pageIdOr404, userWithRole } from '@/lib/http/page-auth.ts';
import { tryItContext } from '@/lib/models/try-it.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { TryIt } from '@/components/models/TryIt';

export const dynamic = 'force-dynamic';

export const metadata = { title: 'Try it' };

export default async function TryItPage({ params }: { params: Promise<{ phaseId: string }> }) {
  const { allowed } = await userWithRole('lead');
  if (!allowed) forbidden();
  const phaseId = pageIdOr404((await params).phaseId);
  const ctx = await tryItContext(await getDb(), phaseId);
  if (!ctx) notFound();
  const { phase, live } = ctx;
  return (
    <>
      <PageHeader title={`Try it · ${phase.name}`} subtitle="The deployed student runs in your browser; the predict API answers the same text for comparison." />
      <section className="card">
        {live ? <TryIt phaseId={phaseId} modelId={live.modelId} version={live.version} labels={phase.labels} threshold={phase.threshold} positiveLabel={phase.positiveLabel} maxLen={live.maxLen} /> : <p className="text-zinc-500">No model is deployed in this phase yet.</p>}
      </section>
    </>
  );
}
