import { badRequest } from '@/lib/errors.ts';
import { intParam, route } from '@/lib/http/route.ts';
import { listItems } from '@/lib/tasks/tasks.ts';

export const GET = route<{ id: string }>({ role: 'annotator' }, async ({ req, db, params }) => {
  const q = req.nextUrl.searchParams;
  const split = q.get('split') ?? undefined;
  if (split && split !== 'train' && split !== 'test') throw badRequest(`split must be train or test, got "${split}"`);
  return listItems(db, intParam(params.id, 'phase id'), {
    split: split as 'train' | 'test' | undefined,
    limit: q.get('limit') ? intParam(q.get('limit')!, 'limit') : undefined,
    afterId: q.get('after') ? intParam(q.get('after')!, 'after') : undefined,
  });
});
