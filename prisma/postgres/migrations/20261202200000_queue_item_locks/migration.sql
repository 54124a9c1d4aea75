-- Submits and claims lock the items they touch instead of the whole phase.
--
-- Until now both took the phase's advisory lock exclusively, so every answer and every next batch
-- of a phase ran one after another. Under the load bench on PostgreSQL (50 annotators, 2 cores)
-- pg_stat_activity showed most backends waiting on that lock and about one running, and next /
-- submit p95 of 190-1,600 ms. Now:
-- - the phase lock (7242, phase) is taken shared by submits and claims, exclusively by the rare
--   changes that need the whole phase (lib/queue/annotate.ts phaseTx);
-- - an item lock (7243, item) makes the changes of one item one at a time: taken after it, each
--   statement's snapshot sees everything the item's previous holder committed, which is what the
--   phase lock gave before for that item (the overlap rule reads only the item's own rows);
-- - a claim tries the queue's items in rank order and skips one whose lock another claim holds
--   (overlap 1: that item is being leased) or waits for it (overlap > 1: it may have room left),
--   re-checking the rule under the lock; claims of one user are one at a time (7244, user) so that
--   two concurrent polls cannot top a user's held leases up twice;
-- - the phase's open count (QueueState) is written last, so its row lock lasts only to the commit;
-- - a claim counts an item's answers from QueueEntry.answers, which every change of an answer
--   recounts under the item's lock (submit) or the whole phase's (lib/queue/annotate.ts recount),
--   instead of counting Annotation rows per candidate: with the statistics of a young table the
--   planner read that count through the (phaseId, action, resolution) index, 0.2 ms per candidate
--   at 600 answers and growing, so a claim walking past 500 held items took seconds.
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
  -- The phase's open count last: its row is the one every submit of the phase writes, and its row
  -- lock lasts from here to the commit.
  IF closed <> opened THEN
    UPDATE "QueueState" s SET "open" = s."open" + opened - closed WHERE s."phaseId" = p_phase;
  END IF;
  RETURN QUERY SELECT a."id", a."itemId", a."action", a."label", a."createdAt", k;
END
$fn$;

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
  wanted integer;
  got integer := 0;
  scanned integer;
  page integer;
  last bigint := -9223372036854775808;
  c record;
  ts timestamp(3) := (now() AT TIME ZONE 'UTC');
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7242, p_phase);
  PERFORM pg_advisory_xact_lock(7244, p_user);
  SELECT GREATEST(1, ph."overlap") INTO k FROM "Phase" ph WHERE ph."id" = p_phase;
  RETURN QUERY SELECT l."itemId", l."expiresAt", l."sortKey", false FROM "AnnotationLease" l
    WHERE l."phaseId" = p_phase AND l."userId" = p_user AND l."expiresAt" > ts;
  GET DIAGNOSTICS held = ROW_COUNT;
  IF held >= p_limit THEN
    RETURN;
  END IF;
  wanted := p_limit - held;
  page := wanted * 2 + 8;
  -- Candidates as each page's snapshot sees them, in queue order, a page at a time (a LIMIT keeps
  -- the plan an index range scan of (phaseId, done, rank) that stops early; the next page starts
  -- after the last rank seen); each is re-checked under its item's lock before it is leased.
  <<pages>>
  LOOP
    scanned := 0;
    FOR c IN
      SELECT q."itemId", q."rank" FROM "QueueEntry" q
      WHERE q."phaseId" = p_phase AND q."done" = false AND q."rank" > last
        AND q."answers"
          + (SELECT COUNT(*) FROM "AnnotationLease" l
             WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" <> p_user AND l."expiresAt" > ts) < k
        AND NOT EXISTS (SELECT 1 FROM "AnnotationLease" l
                        WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" = p_user AND l."expiresAt" > ts)
        AND NOT EXISTS (SELECT 1 FROM "Annotation" a
                        WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = p_user AND a."undoneAt" IS NULL)
      -- rank alone: positions, distinct within a phase.
      ORDER BY q."rank"
      LIMIT page
    LOOP
      scanned := scanned + 1;
      last := c."rank";
      IF k = 1 THEN
        -- Locked by another claim: that item is being leased to someone else.
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(7243, c."itemId");
      ELSE
        -- It may have room left for this user. Every claim locks items in rank order, so two claims
        -- never wait on each other in a cycle.
        PERFORM pg_advisory_xact_lock(7243, c."itemId");
      END IF;
      RETURN QUERY
      INSERT INTO "AnnotationLease" AS t ("phaseId", "itemId", "userId", "expiresAt", "sortKey")
      SELECT q."phaseId", q."itemId", p_user, ts + make_interval(secs => p_ttl_seconds), q."rank"
      FROM "QueueEntry" q
      WHERE q."phaseId" = p_phase AND q."itemId" = c."itemId" AND q."done" = false
        AND q."answers"
          + (SELECT COUNT(*) FROM "AnnotationLease" l
             WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" <> p_user AND l."expiresAt" > ts) < k
        AND NOT EXISTS (SELECT 1 FROM "AnnotationLease" l
                        WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" = p_user AND l."expiresAt" > ts)
        AND NOT EXISTS (SELECT 1 FROM "Annotation" a
                        WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = p_user AND a."undoneAt" IS NULL)
      ON CONFLICT ("phaseId", "itemId", "userId") DO UPDATE SET "expiresAt" = excluded."expiresAt", "sortKey" = excluded."sortKey"
      RETURNING t."itemId", t."expiresAt", t."sortKey", true;
      IF FOUND THEN
        got := got + 1;
        EXIT pages WHEN got >= wanted;
      END IF;
    END LOOP;
    EXIT WHEN scanned < page;
    page := LEAST(page * 4, 4096);
  END LOOP;
END
$fn$;
