import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser, pageIdOr404 } from '@/lib/http/page-auth.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { Annotator } from '@/components/annotate/Annotator';
import { parsePageId } from '@/lib/http/page-params.ts';
import { openFlagCounts } from '@/lib/queue/flags.ts';

export const dynamic = 'force-dynamic';

/** The tab title names the phase; an unknown id gets the 404 page's title (the page itself answers 404). */
export async function generateMetadata({ params }: { params: Promise<{ phaseId: string }> }) {
  const id = parsePageId((await params).phaseId);
  const phase = id ? await getPhase(await getDb(), id).catch(() => null) : null;
  return { title: phase ? `Annotate: ${phase.name}` : 'Not found' };
}

export default async function AnnotatePhasePage({ params }: { params: Promise<{ phaseId: string }> }) {
  const user = await currentUser();
  const phaseId = pageIdOr404((await params).phaseId);
  const db = await getDb();
  const phase = await getPhase(db, phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  const lead = hasRole(user.role, 'lead');
  const openFlags = lead ? ((await openFlagCounts(db, phaseId)).get(phaseId) ?? 0) : 0;
  return (
    <>
      <PageHeader
        title={`Annotate: ${phase.name}`}
        subtitle={<><Link href="/annotate" className="text-indigo-700 hover:underline">All phases</Link> · {phase.taskName} / {phase.key} · labels {phase.labels.join(', ')} · press <kbd className="font-mono">?</kbd> for the keys</>}
        actions={
          lead ? (
            <nav aria-label="This phase" className="flex flex-wrap gap-2">
              <Link href={`/annotate/${phaseId}/flags`} className="btn" data-testid="flags-link">Flags{openFlags ? ` (${openFlags})` : ''}</Link>
              <Link href={`/annotate/${phaseId}/review`} className="btn">Agreement &amp; review</Link>
            </nav>
          ) : undefined
        }
      />
      <Annotator phaseId={phaseId} userId={user.id} phaseName={phase.name} initialLabels={phase.labels} showScores={lead} />
    </>
  );
}
