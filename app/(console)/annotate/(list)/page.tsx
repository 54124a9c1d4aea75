import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { answersByPhase } from '@/lib/queue/annotate.ts';
import { openFlagCounts } from '@/lib/queue/flags.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { DataTable } from '@/components/ui/DataTable';

export const metadata = { title: 'Annotate' };

export const dynamic = 'force-dynamic';

export default async function AnnotatePage() {
  const user = await currentUser();
  const db = await getDb();
  const lead = hasRole(user.role, 'lead');
  const [tasks, myCount, flags] = await Promise.all([listTasks(db), answersByPhase(db, user.id), lead ? openFlagCounts(db) : new Map<number, number>()]);
  return (
    <>
      <PageHeader title="Annotate" subtitle="Pick a phase. Its queue shows the items where the student and the teacher disagree most first." />
      <section className="card">
        <DataTable
          testId="annotate-phases"
          rows={tasks.flatMap((t) => t.phases.map((p) => ({ task: t, phase: p })))}
          rowKey={({ phase }) => phase.id}
          rowTestId={({ phase }) => `annotate-phase-${phase.id}`}
          rowClassName="[&>td]:align-middle!"
          columns={[
            {
              header: 'Task / phase',
              cell: ({ task, phase: p }) => (
                <>
                  <Link href={`/annotate/${p.id}`} className="font-medium text-indigo-700 hover:underline">{task.name} / {p.name}</Link>
                  <Link href={`/phases/${p.id}`} className="ml-2 text-xs text-zinc-500 hover:underline">items</Link>
                </>
              ),
            },
            { header: 'Labels', cell: ({ phase }) => phase.labels.map((l) => <span key={l} className="badge mr-1">{l}</span>) },
            { header: 'Pool items', num: true, cell: ({ phase }) => phase.stats.train.toLocaleString('en-US') },
            { header: 'Human labels', num: true, cell: ({ phase }) => phase.stats.humanLabels.toLocaleString('en-US') },
            { header: 'Yours', num: true, cell: ({ phase }) => (myCount.get(phase.id) ?? 0).toLocaleString('en-US') },
            {
              header: null,
              className: 'whitespace-nowrap text-right',
              cell: ({ phase: p }) => (
                <>
                  <Link href={`/annotate/${p.id}`} className="btn btn-primary">Start</Link>
                  {lead && <Link href={`/annotate/${p.id}/review`} className="btn ml-2">Review</Link>}
                  {lead && (flags.get(p.id) ?? 0) > 0 && <Link href={`/annotate/${p.id}/flags`} className="btn ml-2" data-testid={`flags-${p.id}`}>Flags ({flags.get(p.id)})</Link>}
                </>
              ),
            },
          ]}
        />
      </section>
    </>
  );
}
