import { badRequest } from '@/lib/errors.ts';
import { JOB_STATUSES, listJobs, type JobStatus } from '@/lib/jobs/queue.ts';
import { jobView } from '@/lib/jobs/view.ts';
import { route } from '@/lib/http/route.ts';

/** Background work (teacher training, rounds) with progress, newest first. ?status=queued,running */
export const GET = route({ role: 'annotator' }, async ({ req, db }) => {
  const status = req.nextUrl.searchParams.get('status')?.split(',').filter(Boolean);
  const bad = status?.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (bad?.length) throw badRequest(`unknown job status ${bad.join(', ')}; use ${JOB_STATUSES.join(', ')}`);
  const jobs = await listJobs(db, { status: status as JobStatus[] | undefined, limit: 50 });
  return { jobs: jobs.map(jobView) };
});
