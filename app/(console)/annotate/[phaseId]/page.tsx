import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { Annotator } from '@/components/annotate/Annotator';

export const dynamic = 'force-dynamic';

export default async function AnnotatePhasePage({ params }: { params: Promise<{ phaseId: string }> }) {
  const user = await currentUser();
  const phaseId = Number((await params).phaseId);
  if (!Number.isInteger(phaseId) || phaseId < 1) notFound();
  const phase = await getPhase(await getDb(), phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  return (
    <>
      <PageHeader
        title={`Annotate: ${phase.name}`}
        subtitle={<><Link href="/annotate" className="text-indigo-700 hover:underline">All phases</Link> · {phase.taskName} / {phase.key} · labels {phase.labels.join(', ')} · press <kbd className="font-mono">?</kbd> for the keys</>}
        actions={hasRole(user.role, 'lead') ? <Link href={`/annotate/${phaseId}/review`} className="btn">Agreement &amp; review</Link> : undefined}
      />
      <Annotator phaseId={phaseId} userId={user.id} phaseName={phase.name} initialLabels={phase.labels} />
    </>
  );
}
