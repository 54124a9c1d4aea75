import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { DomainError } from '@/lib/errors.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser, pageIdOr404 } from '@/lib/http/page-auth.ts';
import { parsePageId } from '@/lib/http/page-params.ts';
import { getPhase, listItems, phaseStats } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { ImportForm } from '@/components/import/ImportForm';
import { DataTable } from '@/components/ui/DataTable';

export const dynamic = 'force-dynamic';

/** The tab title names the phase; an unknown id gets the 404 page's title (the page itself answers 404). */
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const id = parsePageId((await params).id);
  const phase = id ? await getPhase(await getDb(), id).catch(() => null) : null;
  return { title: phase ? phase.name : 'Not found' };
}

/** ISO times are stored as epoch milliseconds; show those as dates, other keys as they are. */
function timeLabel(timeKey: number | null, ordinal: number): string {
  if (timeKey == null) return `#${ordinal}`;
  if (timeKey > 1e11 && timeKey < 1e14) return new Date(timeKey).toISOString().replace('T', ' ').replace(/(:00)?\.000Z$/, '').replace(/ 00:00$/, '');
  return String(timeKey);
}

export default async function PhasePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ split?: string; after?: string }> }) {
  const user = await currentUser();
  const { id } = await params;
  const q = await searchParams;
  const db = await getDb();
  const phaseId = pageIdOr404(id);
  const phase = await getPhase(db, phaseId).catch((e) => {
    if (e instanceof DomainError && e.status === 404) notFound();
    throw e;
  });
  const split = q.split === 'train' || q.split === 'test' ? q.split : undefined;
  const [stats, page] = await Promise.all([phaseStats(db, phaseId), listItems(db, phaseId, { split, limit: 50, afterId: parsePageId(q.after) ?? undefined })]);
  return (
    <>
      <PageHeader
        title={phase.name}
        subtitle={<><Link href={`/tasks/${phase.taskId}`} className="text-indigo-700 hover:underline">{phase.taskName}</Link> / {phase.key} · labels {phase.labels.join(', ')}</>}
        actions={
          <nav aria-label="This phase" className="flex flex-wrap gap-2">
            <Link href={`/phases/${phaseId}/dashboard`} className="btn" data-testid="phase-link-dashboard">Dashboard</Link>
            <Link href={`/rounds#phase-${phaseId}`} className="btn" data-testid="phase-link-rounds">Rounds</Link>
            <Link href={`/annotate/${phaseId}`} className="btn" data-testid="phase-link-annotate">Annotate</Link>
            {hasRole(user.role, 'lead') && <Link href={`/annotate/${phaseId}/review`} className="btn" data-testid="phase-link-review">Review</Link>}
          </nav>
        }
      />
      <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-6">
        {[['Items', stats.items], ['Train', stats.train], ['Test slice', stats.test], ['Gold labels', stats.gold], ['Human labels', stats.humanLabels], ['Teachers', stats.teachers.length]].map(([k, v]) => (
          <div key={k as string} className="card px-3 py-2"><div className="text-xs text-zinc-500">{k}</div><div className="text-lg font-semibold tabular-nums" data-testid={`stat-${(k as string).toLowerCase().replace(' ', '-')}`}>{(v as number).toLocaleString('en-US')}</div></div>
        ))}
      </div>
      {stats.teachers.length > 0 && (
        <p className="mb-4 text-zinc-600">Teacher outputs: {stats.teachers.map((t) => `${t.name}${t.version ? '@' + t.version : ''} (${t.predictions.toLocaleString('en-US')})`).join(', ')}</p>
      )}
      {hasRole(user.role, 'lead') && <ImportForm phaseId={phaseId} labels={phase.labels} />}
      <section className="card mt-4">
        <header className="flex items-center gap-3 border-b border-zinc-200 px-4 py-2">
          <h2 className="font-semibold">Items</h2>
          {[['all', undefined], ['train', 'train'], ['test', 'test']].map(([label, s]) => (
            <Link key={label} href={`/phases/${phaseId}${s ? `?split=${s}` : ''}`} className={`text-xs ${split === s ? 'font-semibold text-indigo-700' : 'text-zinc-500 hover:underline'}`}>{label}</Link>
          ))}
        </header>
        <DataTable
          rows={page.items}
          rowKey={(it) => it.id}
          empty={`No items${split ? ` in the ${split} split` : ''} yet.`}
          columns={[
            { header: '#', num: true, className: 'text-zinc-400', cell: (it) => it.id },
            { header: 'Text', className: 'max-w-xl whitespace-pre-wrap break-words', cell: (it) => it.text },
            { header: 'External id', className: 'text-zinc-500', cell: (it) => it.externalId ?? '—' },
            { header: 'Split', cell: (it) => <span className="badge">{it.split}</span> },
            { header: 'Gold', cell: (it) => it.goldLabel ?? <span className="text-zinc-400">—</span> },
            { header: 'Time key', num: true, className: 'text-zinc-500', cell: (it) => timeLabel(it.timeKey, it.ordinal) },
          ]}
        />
        {page.nextAfterId && (
          <div className="px-4 py-2"><Link className="text-indigo-700 hover:underline" href={`/phases/${phaseId}?${split ? `split=${split}&` : ''}after=${page.nextAfterId}`}>Next 50 →</Link></div>
        )}
      </section>
    </>
  );
}
