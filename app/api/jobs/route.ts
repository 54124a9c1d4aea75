import { badRequest } from '@/lib/errors.ts';
import { JOB_STATUSES, listJobs, parseJson, type JobStatus } from '@/lib/jobs/queue.ts';
import { route } from '@/lib/http/route.ts';

/** Background work (teacher training, rounds) with progress, newest first. ?status=queued,running */
export const GET = route({ role: 'annotator' }, async ({ req, db }) => {
  const status = req.nextUrl.searchParams.get('status')?.split(',').filter(Boolean);
  const bad = status?.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (bad?.length) throw badRequest(`unknown job status ${bad.join(', ')}; use ${JOB_STATUSES.join(', ')}`);
  const jobs = await listJobs(db, { status: status as JobStatus[] | undefined, limit: 50 });
  return {
    jobs: jobs.map((j) => ({
      id: j.id,
      type: j.type,
      status: j.status,
      attempts: j.attempts,
      maxAttempts: j.maxAttempts,
      worker: j.leaseOwner,
      leaseExpiresAt: j.leaseExpiresAt,
      payload: parseJson(j.payload),
      progress: parseJson(j.progress),
      error: j.error,
      createdAt: j.createdAt,
      startedAt: j.startedAt,
      finishedAt: j.finishedAt,
    })),
  };
});
