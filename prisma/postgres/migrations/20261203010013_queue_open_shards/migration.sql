-- The phase's open count (how many queue entries still want answers) changes with nearly every
-- submit. It was one row, QueueState.open, which every submit of a phase updated last: under the
-- load bench (50 annotators, PostgreSQL, 2 cores) 45% of the sampled time of active submits was
-- spent waiting on that row's lock (Lock:transactionid / Lock:tuple) held until the previous
-- submit's commit had been flushed. Now QueueState.open is the count as of the last build and the
-- changes since go to one of 16 rows per phase (itemId % 16); readers add them up
-- (lib/queue/open-count.ts). A rebuild folds them back into QueueState.open.
-- CreateTable
CREATE TABLE "QueueOpenShard" (
    "phaseId" INTEGER NOT NULL,
    "shard" INTEGER NOT NULL,
    "delta" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "QueueOpenShard_pkey" PRIMARY KEY ("phaseId","shard")
);


CREATE OR REPLACE FUNCTION "distillery_submit"(p_phase integer, p_item integer, p_user integer, p_action text, p_label text, p_client text, p_shown text, p_note text)
RETURNS TABLE ("id" integer, "itemId" integer, "action" text, "label" text, "createdAt" timestamp(3), "overlap" integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $fn$
#variable_conflict use_column
DECLARE
  k integer;
  a record;
  n integer;
  adj boolean;
  closed integer := 0;
  opened integer := 0;
  ts timestamp(3) := (now() AT TIME ZONE 'UTC');
BEGIN
  -- Shared: submits and claims of the phase run side by side; a change that needs the whole phase
  -- (lib/queue/annotate.ts phaseTx: undo, change of answer, flags, trusted labels) takes it exclusively.
  PERFORM pg_advisory_xact_lock_shared(7242, p_phase);
  -- The item's own lock: one change of this item at a time, and every statement below reads
  -- (READ COMMITTED, a snapshot per statement) what the item's previous holder committed.
  PERFORM pg_advisory_xact_lock(7243, p_item);
  SELECT GREATEST(1, ph."overlap") INTO k FROM "Phase" ph WHERE ph."id" = p_phase;
  -- Inserted only while the user holds the item: an unexpired lease, or an expired one on an item
  -- that did not go to k others meanwhile.
  INSERT INTO "Annotation" ("phaseId", "itemId", "userId", "action", "label", "clientId", "shown", "note", "createdAt", "audit", "teacherLabel", "modelId")
  SELECT p_phase, p_item, p_user, p_action, p_label, p_client, p_shown, p_note, ts,
         COALESCE((SELECT q."audit" FROM "QueueEntry" q WHERE q."phaseId" = p_phase AND q."itemId" = p_item), false),
         (SELECT q."teacherLabel" FROM "QueueEntry" q WHERE q."phaseId" = p_phase AND q."itemId" = p_item),
         (SELECT q."modelId" FROM "QueueEntry" q WHERE q."phaseId" = p_phase AND q."itemId" = p_item)
  WHERE EXISTS (SELECT 1 FROM "AnnotationLease" l WHERE l."phaseId" = p_phase AND l."itemId" = p_item AND l."userId" = p_user
                AND (l."expiresAt" > ts
                     OR (SELECT COUNT(*) FROM "AnnotationLease" o WHERE o."phaseId" = p_phase AND o."itemId" = p_item AND o."userId" <> p_user AND o."expiresAt" > ts)
                      + (SELECT COUNT(DISTINCT x."userId") FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."undoneAt" IS NULL AND x."action" <> 'skip') < k))
    AND NOT EXISTS (SELECT 1 FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."userId" = p_user AND x."undoneAt" IS NULL)
  RETURNING "Annotation"."id", "Annotation"."itemId", "Annotation"."action", "Annotation"."label", "Annotation"."createdAt" INTO a;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- The answer now counts, so the lease can go.
  DELETE FROM "AnnotationLease" l WHERE l."phaseId" = p_phase AND l."itemId" = p_item AND l."userId" = p_user;
  IF p_action <> 'skip' THEN
    -- recount(): the distinct annotators whose answer counts, then the open/done transition and the open count.
    SELECT COUNT(DISTINCT x."userId") INTO n FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."undoneAt" IS NULL AND x."action" <> 'skip';
    adj := EXISTS (SELECT 1 FROM "HumanLabel" h WHERE h."phaseId" = p_phase AND h."itemId" = p_item AND h."source" = 'adjudication');
    UPDATE "QueueEntry" q SET "answers" = n WHERE q."phaseId" = p_phase AND q."itemId" = p_item;
    UPDATE "QueueEntry" q SET "done" = true WHERE q."phaseId" = p_phase AND q."itemId" = p_item AND q."done" = false AND (n >= k OR adj);
    GET DIAGNOSTICS closed = ROW_COUNT;
    UPDATE "QueueEntry" q SET "done" = false WHERE q."phaseId" = p_phase AND q."itemId" = p_item AND q."done" = true AND n < k AND NOT adj;
    GET DIAGNOSTICS opened = ROW_COUNT;
  END IF;
  IF p_action = 'label' THEN
    -- settleHumanLabel(): k agreeing labels make the item's human label; anything else removes one from annotators.
    DELETE FROM "HumanLabel" h WHERE h."phaseId" = p_phase AND h."itemId" = p_item AND h."source" <> 'adjudication'
      AND NOT EXISTS (SELECT 1 FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."undoneAt" IS NULL AND x."action" = 'label'
                      GROUP BY x."phaseId", x."itemId" HAVING COUNT(*) >= k AND COUNT(DISTINCT x."label") = 1);
    INSERT INTO "HumanLabel" ("phaseId", "itemId", "label", "source", "userId", "createdAt", "updatedAt")
      SELECT p_phase, p_item, MIN(x."label"), 'annotation', CASE WHEN COUNT(*) = 1 THEN MIN(x."userId") END, ts, ts
      FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."undoneAt" IS NULL AND x."action" = 'label'
      GROUP BY x."phaseId", x."itemId" HAVING COUNT(*) >= k AND COUNT(DISTINCT x."label") = 1
      ON CONFLICT ("phaseId", "itemId") DO UPDATE SET "label" = excluded."label", "userId" = excluded."userId", "source" = excluded."source", "updatedAt" = excluded."updatedAt"
      WHERE "HumanLabel"."source" <> 'adjudication';
  END IF;
  -- The phase's open count last, in the item's shard of it (lib/queue/annotate.ts addOpen): its row
  -- lock lasts from here to the commit and is shared with 1/16 of the phase's items.
  IF closed <> opened THEN
    INSERT INTO "QueueOpenShard" AS d ("phaseId", "shard", "delta") VALUES (p_phase, p_item % 16, opened - closed)
      ON CONFLICT ("phaseId", "shard") DO UPDATE SET "delta" = d."delta" + excluded."delta";
  END IF;
  RETURN QUERY SELECT a."id", a."itemId", a."action", a."label", a."createdAt", k;
END
$fn$;
