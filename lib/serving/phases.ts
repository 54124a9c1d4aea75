import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';

/** A phase named by numeric id or `taskSlug/phaseKey` (what the multi-phase predict API accepts). */
export async function resolvePhaseRef(db: Db, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) {
    const p = await db.phase.findUnique({ where: { id: Number(ref) }, select: { id: true } });
    if (!p) throw notFound(`phase ${ref}`);
    return p.id;
  }
  const [slug, key] = ref.split('/');
  const p = key ? await db.phase.findFirst({ where: { key, task: { slug } }, select: { id: true } }) : null;
  if (!p) throw notFound(`phase "${ref}" (use an id or taskSlug/phaseKey)`);
  return p.id;
}
