import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { pageIdOr404, userWithRole } from '@/lib/http/page-auth.ts';
import { getPhase } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { FlagList } from '@/components/review/FlagList';
import { parsePageId } from '@/lib/http/page-params.ts';

export const dynamic = 'force-dynamic';

/** The tab title names the phase; an unknown id gets the 404 page's title (the page itself answers 404). */
export async function generateMetadata({ params }: { params: Promise<{ phaseId: string }> }) {
  const id = parsePageId((await params).phaseId);
  const phase = id ? await getPhase(await getDb(), id).catch(() => null) : null;
  return { title: phase ? `Flags: ${phase.name}` : 'Not found' };
}

/** The lead's list of items annotators flagged in a phase (leads only). */
export default async function FlagsPage({ params }: { params: Promise<{ phaseId: string }> }) {
  const { allowed } = await userWithRole('lead');
  if (!allowed) forbidden();
  const phaseId = pageIdOr404((await params).phaseId);
  const phase = await getPhase(await getDb(), phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  return (
    <>
      <PageHeader
        title={`Flags: ${phase.name}`}
        subtitle={<><Link href="/annotate" className="text-indigo-700 hover:underline">All phases</Link> · {phase.taskName} / {phase.key} · items annotators flagged for you, with their notes</>}
        actions={
          <nav aria-label="This phase" className="flex flex-wrap gap-2">
            <Link href={`/annotate/${phaseId}/review`} className="btn">Review</Link>
            <Link href={`/annotate/${phaseId}`} className="btn">Annotate</Link>
          </nav>
        }
      />
      <FlagList phaseId={phaseId} labels={phase.labels} />
    </>
  );
}
