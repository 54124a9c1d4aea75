/**
 * Flags: an annotator's "this one is for the lead" (the F key, an answer with action `flag` and an
 * optional note). A flag counts toward the item's overlap like a label, so a flagged item leaves
 * the queue until a lead acts on it. The lead's list groups open flags by item; per item the lead
 *   - labels it: a trusted label (source `adjudication`, like settling a conflict) that the next
 *     round trains on and that annotators never overwrite;
 *   - sends it back to the queue: the flags are taken back (they no longer count toward the
 *     overlap) and the item goes to the front of the queue, for anyone, the flagger included;
 *   - dismisses the flag: nothing to do; the flag stays as the annotator's answer, the item stays
 *     out of the queue and trains on the teacher's output.
 * Every resolution is one guarded update of the item's open flags (two leads acting at once: one
 * wins, the other gets the same answer back if they asked for the same, else 409) and one audit row.
 */
import type { Db } from '../db/client.ts';
import { audit, type Actor } from '../audit.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { dbNow, placeholders, providerOf } from '../db/sql.ts';
import { ensureQueueEntry, hydrate, phaseTx, queuePhaseState, recount, settleHumanLabel, writeTrustedLabel, type QueueItem } from './annotate.ts';

export const FLAG_ACTIONS = ['label', 'requeue', 'dismiss'] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];
export const FLAG_RESOLUTIONS = { label: 'labelled', requeue: 'requeued', dismiss: 'dismissed' } as const satisfies Record<FlagAction, string>;
export type FlagResolution = (typeof FLAG_RESOLUTIONS)[FlagAction];
export const FLAG_STATUSES = ['open', 'resolved', 'all'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

export interface FlagNote {
  annotationId: number;
  userId: number;
  email: string;
  name: string;
  note: string | null;
  createdAt: string;
}

export interface FlaggedItem {
  itemId: number;
  externalId: string | null;
  text: string;
  teacher: QueueItem['teacher'];
  student: QueueItem['student'];
  /** Who flagged it, with their notes (oldest first). */
  flags: FlagNote[];
  /** open, or how a lead resolved it. */
  status: 'open' | FlagResolution;
  resolvedBy: string | null;
  resolvedAt: string | null;
  /** The item's human label now (a lead's label shows source `adjudication`). */
  humanLabel: { label: string; source: string } | null;
}

export interface FlagList {
  items: FlaggedItem[];
  /** Items with at least one open flag (whatever the status asked for). */
  open: number;
}

/**
 * A phase's flagged items: `open` (default, oldest flag first: the longest waiting), `resolved`
 * (newest resolution first) or `all`.
 */
export async function listFlags(db: Db, input: { phaseId: number; status?: FlagStatus; limit?: number }): Promise<FlagList> {
  const status = input.status ?? 'open';
  if (!(FLAG_STATUSES as readonly string[]).includes(status)) throw badRequest(`status must be one of ${FLAG_STATUSES.join(', ')}`);
  const limit = Math.trunc(input.limit ?? 100);
  if (!(limit >= 1 && limit <= 500)) throw badRequest('limit must be between 1 and 500');
  const { phase, modelId } = await queuePhaseState(db, input.phaseId);
  const phaseId = phase.id;
  const openWhere = { phaseId, action: 'flag', undoneAt: null, resolution: null };
  const where = status === 'open' ? openWhere : status === 'resolved' ? { phaseId, action: 'flag', resolution: { not: null } } : { phaseId, action: 'flag', OR: [{ undoneAt: null }, { resolution: { not: null } }] };
  const [flags, openItems] = await Promise.all([
    db.annotation.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, itemId: true, userId: true, note: true, createdAt: true, resolution: true, resolvedById: true, resolvedAt: true } }),
    db.annotation.groupBy({ by: ['itemId'], where: openWhere }),
  ]);
  // One entry per item; an item with an open flag is open, whatever older flags of it say.
  const byItem = new Map<number, typeof flags>();
  for (const f of flags) {
    let list = byItem.get(f.itemId);
    if (!list) byItem.set(f.itemId, (list = []));
    list.push(f);
  }
  const stateOf = (list: typeof flags) => {
    const open = list.filter((f) => f.resolution == null);
    if (open.length) return { status: 'open' as const, at: open[0].createdAt.getTime(), flags: open, resolved: null };
    const last = list.reduce((a, b) => ((b.resolvedAt?.getTime() ?? 0) > (a.resolvedAt?.getTime() ?? 0) ? b : a));
    return { status: last.resolution as FlagResolution, at: last.resolvedAt?.getTime() ?? 0, flags: list.filter((f) => f.resolvedAt?.getTime() === last.resolvedAt?.getTime()), resolved: last };
  };
  const entries = [...byItem.entries()]
    .map(([itemId, list]) => ({ itemId, ...stateOf(list) }))
    .filter((e) => status === 'all' || (status === 'open') === (e.status === 'open'))
    .sort((a, b) => (status === 'open' ? a.at - b.at : b.at - a.at) || a.itemId - b.itemId)
    .slice(0, limit);
  const ids = entries.map((e) => e.itemId);
  const userIds = [...new Set(entries.flatMap((e) => [...e.flags.map((f) => f.userId), ...(e.resolved?.resolvedById ? [e.resolved.resolvedById] : [])]))];
  const [items, users, labels, shown] = await Promise.all([
    db.item.findMany({ where: { id: { in: ids } }, select: { id: true, externalId: true, text: true } }),
    db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true, name: true } }),
    db.humanLabel.findMany({ where: { phaseId, itemId: { in: ids } }, select: { itemId: true, label: true, source: true } }),
    hydrate(db, phase, ids.map((itemId) => ({ itemId, expiresAt: new Date(0) })), modelId),
  ]);
  const item = new Map(items.map((i) => [i.id, i]));
  const user = new Map(users.map((u) => [u.id, u]));
  const label = new Map(labels.map((h) => [h.itemId, h]));
  const dist = new Map(shown.map((s) => [s.itemId, s]));
  return {
    open: openItems.length,
    items: entries.map((e) => ({
      itemId: e.itemId,
      externalId: item.get(e.itemId)?.externalId ?? null,
      text: item.get(e.itemId)?.text ?? '',
      teacher: dist.get(e.itemId)?.teacher ?? null,
      student: dist.get(e.itemId)?.student ?? null,
      flags: e.flags.map((f) => ({
        annotationId: f.id,
        userId: f.userId,
        email: user.get(f.userId)?.email ?? `user ${f.userId}`,
        name: user.get(f.userId)?.name ?? '',
        note: f.note,
        createdAt: f.createdAt.toISOString(),
      })),
      status: e.status,
      resolvedBy: e.resolved?.resolvedById ? (user.get(e.resolved.resolvedById)?.email ?? `user ${e.resolved.resolvedById}`) : null,
      resolvedAt: e.resolved?.resolvedAt?.toISOString() ?? null,
      humanLabel: label.has(e.itemId) ? { label: label.get(e.itemId)!.label, source: label.get(e.itemId)!.source } : null,
    })),
  };
}

export interface ResolveFlagInput {
  phaseId: number;
  itemId: number;
  action: FlagAction;
  /** For `label`: the lead's label. */
  label?: string | null;
  /** The lead (the API passes the signed-in user; the CLI the lead named by --user). */
  userId: Actor;
}

export interface FlagOutcome {
  itemId: number;
  resolution: FlagResolution;
  label: string | null;
  /** Open flags this call resolved (0 on a duplicate). */
  flags: number;
  duplicate: boolean;
}

/** The lead acts on an item's open flags: label it, send it back to the queue, or dismiss the flags. */
export async function resolveFlag(db: Db, input: ResolveFlagInput): Promise<FlagOutcome> {
  if (!(FLAG_ACTIONS as readonly string[]).includes(input.action)) throw badRequest(`action must be one of ${FLAG_ACTIONS.join(', ')}, got "${input.action}"`);
  const { phase } = await queuePhaseState(db, input.phaseId);
  const { itemId } = input;
  const phaseId = phase.id;
  const label = input.action === 'label' ? (input.label ?? null) : null;
  if (input.action === 'label') {
    if (!label) throw badRequest('labelling a flagged item needs a label');
    if (!phase.labels.includes(label)) throw badRequest(`unknown label "${label}"; this phase's labels are ${phase.labels.join(', ')}`);
  } else if (input.label != null) throw badRequest(`a label goes with action "label", not "${input.action}"`);
  const item = await db.item.findFirst({ where: { id: itemId, phaseId }, select: { id: true } });
  if (!item) throw notFound(`item ${itemId} in phase ${phaseId}`);
  const resolution = FLAG_RESOLUTIONS[input.action];
  const provider = providerOf(db);

  const resolved = await phaseTx(db, provider, phaseId, async (tx) => {
    const now = dbNow(provider);
    // Sending back takes the flags back as well (undoneAt): they stop counting toward the overlap.
    const n = await tx.$executeRawUnsafe(
      placeholders(
        provider,
        `UPDATE "Annotation" SET "resolution" = $3, "resolvedById" = $4, "resolvedAt" = ${now}${input.action === 'requeue' ? `, "undoneAt" = ${now}` : ''}
         WHERE "phaseId" = $1 AND "itemId" = $2 AND "action" = 'flag' AND "undoneAt" IS NULL AND "resolution" IS NULL`,
      ),
      phaseId,
      itemId,
      resolution,
      input.userId,
    );
    if (n === 0) return 0;
    if (input.action === 'label') await writeTrustedLabel(tx, provider, phase, itemId, label!, input.userId);
    if (input.action === 'requeue') {
      await ensureQueueEntry(tx, provider, phaseId, itemId, { front: true });
      await recount(tx, provider, phaseId, itemId, phase.overlap);
      await settleHumanLabel(tx, provider, phaseId, itemId, phase.overlap);
    }
    return n;
  });

  if (resolved === 0) {
    // Nothing open: a repeat of what was already done is answered as such; anything else is a clash.
    const last = await db.annotation.findFirst({ where: { phaseId, itemId, action: 'flag', resolution: { not: null } }, orderBy: { resolvedAt: 'desc' }, select: { resolution: true, resolvedById: true } });
    if (!last) throw notFound(`item ${itemId} has no open flag`);
    const human = label ? await db.humanLabel.findUnique({ where: { phaseId_itemId: { phaseId, itemId } }, select: { label: true } }) : null;
    if (last.resolution === resolution && (!label || human?.label === label)) return { itemId, resolution, label, flags: 0, duplicate: true };
    const by = last.resolvedById ? (await db.user.findUnique({ where: { id: last.resolvedById }, select: { email: true } }))?.email : null;
    throw conflict(`the flags on item ${itemId} were already ${last.resolution}${by ? ` by ${by}` : ''}`);
  }
  await audit(db, input.userId, `flag.${input.action}`, `phase:${phaseId}/item:${itemId}`, { flags: resolved, ...(label ? { label } : {}) });
  return { itemId, resolution, label, flags: resolved, duplicate: false };
}

/** Items with open flags per phase (one phase, or all): the annotate pages show the count to leads. */
export async function openFlagCounts(db: Db, phaseId?: number): Promise<Map<number, number>> {
  const rows = await db.annotation.groupBy({ by: ['phaseId', 'itemId'], where: { action: 'flag', undoneAt: null, resolution: null, ...(phaseId ? { phaseId } : {}) } });
  const out = new Map<number, number>();
  for (const r of rows) out.set(r.phaseId, (out.get(r.phaseId) ?? 0) + 1);
  return out;
}
