-- A submit in one round trip: the statements lib/queue/annotate.ts's submit() runs on SQLite, in
-- the same order, under the phase's advisory lock. As a sequence of statements in an interactive
-- transaction, the lock was held across nine round trips and every turn of a busy event loop
-- between them, so annotators' submits queued behind each other on the lock. Inside a function
-- each statement still takes a fresh snapshot (READ COMMITTED), after the lock, as before.
-- Returns the new annotation with the phase's overlap k, or no row when the user does not hold
-- the item (submit() then says why); a reused clientId fails on its unique index, as before.
CREATE OR REPLACE FUNCTION "distillery_submit"(p_phase integer, p_item integer, p_user integer, p_action text, p_label text, p_client text, p_shown text, p_note text)
RETURNS TABLE ("id" integer, "itemId" integer, "action" text, "label" text, "createdAt" timestamp(3), "overlap" integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  k integer;
  a record;
  n integer;
  adj boolean;
  closed integer;
  opened integer;
  ts timestamp(3) := (now() AT TIME ZONE 'UTC');
BEGIN
  PERFORM pg_advisory_xact_lock(7242, p_phase);
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
    IF closed <> opened THEN
      UPDATE "QueueState" s SET "open" = s."open" + opened - closed WHERE s."phaseId" = p_phase;
    END IF;
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
  RETURN QUERY SELECT a."id", a."itemId", a."action", a."label", a."createdAt", k;
END
$fn$;

-- The claim of a next batch in one round trip, for the same reason: lib/queue/annotate.ts's
-- refreshHeld() and leaseItems() under the phase's advisory lock. Returns the user's unexpired
-- leases (fresh = false) and, when they are fewer than p_limit, the items newly leased to top
-- them up (fresh = true); nextItems() orders them as before.
CREATE OR REPLACE FUNCTION "distillery_claim"(p_phase integer, p_user integer, p_limit integer, p_ttl_seconds double precision)
RETURNS TABLE ("itemId" integer, "expiresAt" timestamp(3), "sortKey" double precision, "fresh" boolean)
LANGUAGE plpgsql
-- Planned for each call's values: a plan cached for any phase and limit walked the whole queue.
SET plan_cache_mode = force_custom_plan
AS $fn$
#variable_conflict use_column
DECLARE
  k integer;
  held integer;
  ts timestamp(3) := (now() AT TIME ZONE 'UTC');
BEGIN
  PERFORM pg_advisory_xact_lock(7242, p_phase);
  SELECT GREATEST(1, ph."overlap") INTO k FROM "Phase" ph WHERE ph."id" = p_phase;
  RETURN QUERY SELECT l."itemId", l."expiresAt", l."sortKey", false FROM "AnnotationLease" l
    WHERE l."phaseId" = p_phase AND l."userId" = p_user AND l."expiresAt" > ts;
  GET DIAGNOSTICS held = ROW_COUNT;
  IF held >= p_limit THEN
    RETURN;
  END IF;
  RETURN QUERY
  INSERT INTO "AnnotationLease" AS t ("phaseId", "itemId", "userId", "expiresAt", "sortKey")
  SELECT q."phaseId", q."itemId", p_user, ts + make_interval(secs => p_ttl_seconds), q."rank"
  FROM "QueueEntry" q
  WHERE q."phaseId" = p_phase AND q."done" = false
    AND (SELECT COUNT(DISTINCT a."userId") FROM "Annotation" a
         WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."undoneAt" IS NULL AND a."action" <> 'skip')
      + (SELECT COUNT(*) FROM "AnnotationLease" l
         WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" <> p_user AND l."expiresAt" > ts) < k
    AND NOT EXISTS (SELECT 1 FROM "AnnotationLease" l
                    WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" = p_user AND l."expiresAt" > ts)
    AND NOT EXISTS (SELECT 1 FROM "Annotation" a
                    WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = p_user AND a."undoneAt" IS NULL)
  ORDER BY q."rank"
  LIMIT p_limit - held
  ON CONFLICT ("phaseId", "itemId", "userId") DO UPDATE SET "expiresAt" = excluded."expiresAt", "sortKey" = excluded."sortKey"
  RETURNING t."itemId", t."expiresAt", t."sortKey", true;
END
$fn$;
