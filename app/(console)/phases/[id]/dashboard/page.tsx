import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser, pageIdOr404 } from '@/lib/http/page-auth.ts';
import { parsePageId } from '@/lib/http/page-params.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { PhaseDashboard } from '@/components/dashboard/PhaseDashboard';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const id = parsePageId((await params).id);
  const phase = id ? await getPhase(await getDb(), id).catch(() => null) : null;
  return { title: phase ? `Dashboard · ${phase.name}` : 'Not found' };
}

/** A phase's rounds side by side: the server checks the phase exists; the dashboard fetches and polls on the client. */
export default async function PhaseDashboardPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await currentUser();
  const phaseId = pageIdOr404((await params).id);
  const phase = await getPhase(await getDb(), phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  return (
    <>
      <PageHeader
        title={`Dashboard · ${phase.name}`}
        subtitle={<><Link href={`/tasks/${phase.taskId}`} className="text-indigo-700 hover:underline">{phase.taskName}</Link> / <Link href={`/phases/${phaseId}`} className="text-indigo-700 hover:underline">{phase.name}</Link> · labels {phase.labels.join(', ')}</>}
        actions={
          <nav aria-label="This phase" className="flex flex-wrap gap-2">
            <Link href={`/annotate/${phaseId}`} className="btn">Annotate</Link>
            {hasRole(user.role, 'lead') && <Link href={`/annotate/${phaseId}/review`} className="btn">Review</Link>}
          </nav>
        }
      />
      <PhaseDashboard phaseId={phaseId} canStart={hasRole(user.role, 'lead')} />
    </>
  );
}
