import Link from 'next/link';
import { getDb } from '@/lib/db/client.ts';
import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { listTasks } from '@/lib/tasks/tasks.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { PhaseRounds } from '@/components/rounds/PhaseRounds';
import { JobsPanel } from '@/components/rounds/JobsPanel';

export const metadata = { title: 'Rounds' };

export const dynamic = 'force-dynamic';

export default async function RoundsPage() {
  const user = await currentUser();
  const tasks = await listTasks(await getDb());
  return (
    <>
      <PageHeader title="Rounds" subtitle="Retraining rounds per phase: live progress, the student against the teacher and against people on the temporal test slice." />
      <JobsPanel />
      <div className="space-y-4">
        {tasks.flatMap((t) =>
          t.phases.map((p) => (
            <section key={p.id} id={`phase-${p.id}`} className="card scroll-mt-4">
              <header className="flex items-baseline justify-between border-b border-zinc-200 px-4 py-2">
                <h2 className="font-semibold">{t.name} / {p.name} <Link href={`/phases/${p.id}/dashboard`} className="ml-2 text-xs font-normal text-indigo-700 hover:underline" data-testid={`dashboard-link-${p.id}`}>dashboard →</Link></h2>
                <span className="text-xs text-zinc-500">{p.stats.teachers.length ? `teacher: ${p.stats.teachers.map((x) => x.name).join(', ')}` : 'no teacher outputs yet'} · {p.stats.gold.toLocaleString("en-US")} gold, {p.stats.humanLabels.toLocaleString("en-US")} annotated labels</span>
              </header>
              <PhaseRounds phaseId={p.id} canStart={hasRole(user.role, 'lead')} />
            </section>
          )),
        )}
      </div>
    </>
  );
}
