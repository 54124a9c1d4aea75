import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { userWithRole } from '@/lib/http/page-auth.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { PhaseReview } from '@/components/review/PhaseReview';

export const dynamic = 'force-dynamic';

export default async function ReviewPage({ params }: { params: Promise<{ phaseId: string }> }) {
  const { allowed } = await userWithRole('lead');
  if (!allowed) forbidden();
  const phaseId = Number((await params).phaseId);
  if (!Number.isInteger(phaseId) || phaseId < 1) notFound();
  const db = await getDb();
  const phase = await getPhase(db, phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  return (
    <>
      <PageHeader
        title={`Review: ${phase.name}`}
        subtitle={<><Link href="/annotate" className="text-indigo-700 hover:underline">All phases</Link> · {phase.taskName} / {phase.key} · agreement between annotators, conflicts to adjudicate, overlap and export</>}
        actions={<Link href={`/annotate/${phaseId}`} className="btn">Annotate</Link>}
      />
      <PhaseReview phaseId={phaseId} labels={phase.labels} overlap={phase.overlap} />
    </>
  );
}
