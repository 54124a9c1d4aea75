-- Where PostgreSQL's time went under the load bench (50 annotators, 2 cores; pg_stat_statements
-- with nested statements and auto_explain, one minute):
-- * distillery_submit: 7.3 ms a call, of which 4.4 ms in its two HumanLabel statements. Each
--   grouped the item's label answers with `action = 'label'` in its WHERE, so the planner could
--   read them through ("phaseId", "action", "resolution") as well as ("phaseId", "itemId"); with
--   the statistics of a young table the two cost the same, it took the first, and every submit
--   then read all the phase's label answers (rows grow with the minute: 6 ms median at the end).
--   Now one statement reads the item's answers (its only conditions are the item's, so the only
--   index that fits is ("phaseId", "itemId")) and computes the answer count, the number of labels,
--   of distinct labels and the label itself; the queue entry is updated once, and the human label
--   is set or removed by primary key.
-- * distillery_claim: 12 ms a call, half of it planning its per-item INSERT (0.56 ms a plan, about
--   ten a claim). Now the candidates of a page are locked one by one as before (rank order) and
--   leased in one INSERT for as many as are still wanted: one plan per page.
--   A claim's commit no longer waits for its WAL flush (synchronous_commit off for that
--   transaction alone): a lease is not an answer, and the only loss a database crash can cause is
--   the last few hundred milliseconds of leases, whose items return to the queue as an expired
--   lease's do. Submits, whose answers are acknowledged to people, still commit synchronously.
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
  labelled integer;
  distinct_labels integer;
  first_label text;
  labeller integer;
  human_source text;
  was_done boolean;
  now_done boolean;
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
    -- The item's answers, read once: recount()'s count (distinct annotators whose answer is not a
    -- skip) and settleHumanLabel()'s figures (labels, distinct labels, the label, its one labeller).
    SELECT COUNT(DISTINCT x."userId") FILTER (WHERE x."action" <> 'skip'),
           COUNT(*) FILTER (WHERE x."action" = 'label'),
           COUNT(DISTINCT x."label") FILTER (WHERE x."action" = 'label'),
           MIN(x."label") FILTER (WHERE x."action" = 'label'),
           MIN(x."userId") FILTER (WHERE x."action" = 'label')
      INTO n, labelled, distinct_labels, first_label, labeller
      FROM "Annotation" x WHERE x."phaseId" = p_phase AND x."itemId" = p_item AND x."undoneAt" IS NULL;
    SELECT h."source" INTO human_source FROM "HumanLabel" h WHERE h."phaseId" = p_phase AND h."itemId" = p_item;
    -- recount(): done once k annotators answered or a lead adjudicated; open otherwise.
    SELECT q."done" INTO was_done FROM "QueueEntry" q WHERE q."phaseId" = p_phase AND q."itemId" = p_item;
    now_done := n >= k OR human_source IS NOT DISTINCT FROM 'adjudication';
    UPDATE "QueueEntry" q SET "answers" = n, "done" = now_done WHERE q."phaseId" = p_phase AND q."itemId" = p_item;
    -- The phase's open count last, in the item's shard of it (lib/queue/open-count.ts addOpen): its
    -- row lock lasts from here to the commit and is shared with 1/16 of the phase's items.
    IF was_done IS NOT NULL AND was_done <> now_done THEN
      INSERT INTO "QueueOpenShard" AS d ("phaseId", "shard", "delta") VALUES (p_phase, p_item % 16, CASE WHEN now_done THEN -1 ELSE 1 END)
        ON CONFLICT ("phaseId", "shard") DO UPDATE SET "delta" = d."delta" + excluded."delta";
    END IF;
  END IF;
  IF p_action = 'label' AND human_source IS DISTINCT FROM 'adjudication' THEN
    -- settleHumanLabel(): k agreeing labels make the item's human label; anything else removes one from annotators.
    IF labelled >= k AND distinct_labels = 1 THEN
      INSERT INTO "HumanLabel" ("phaseId", "itemId", "label", "source", "userId", "createdAt", "updatedAt")
        VALUES (p_phase, p_item, first_label, 'annotation', CASE WHEN labelled = 1 THEN labeller END, ts, ts)
        ON CONFLICT ("phaseId", "itemId") DO UPDATE SET "label" = excluded."label", "userId" = excluded."userId", "source" = excluded."source", "updatedAt" = excluded."updatedAt"
        WHERE "HumanLabel"."source" <> 'adjudication';
    ELSIF human_source IS NOT NULL THEN
      DELETE FROM "HumanLabel" h WHERE h."phaseId" = p_phase AND h."itemId" = p_item AND h."source" <> 'adjudication';
    END IF;
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
  leased integer;
  scanned integer;
  page integer;
  exhausted boolean := false;
  last bigint := -9223372036854775808;
  batch integer[];
  c record;
  ts timestamp(3) := (now() AT TIME ZONE 'UTC');
BEGIN
  -- This transaction's commit does not wait for its WAL flush (see the migration's header).
  PERFORM set_config('synchronous_commit', 'off', true);
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
  <<claims>>
  LOOP
    -- Candidates as each page's snapshot sees them, in queue order, a page at a time (a LIMIT keeps
    -- the plan an index range scan of (phaseId, done, rank) that stops early; the next page starts
    -- after the last rank seen), locked one by one until as many are locked as are still wanted.
    batch := '{}';
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
        batch := batch || c."itemId";
        EXIT pages WHEN got + cardinality(batch) >= wanted;
      END LOOP;
      IF scanned < page THEN
        exhausted := true;
        EXIT pages;
      END IF;
      page := LEAST(page * 4, 4096);
    END LOOP;
    -- The locked candidates re-checked and leased in one statement, whose snapshot comes after
    -- every one of their locks (one plan for the batch instead of one per item).
    IF cardinality(batch) > 0 THEN
      RETURN QUERY
      INSERT INTO "AnnotationLease" AS t ("phaseId", "itemId", "userId", "expiresAt", "sortKey")
      SELECT q."phaseId", q."itemId", p_user, ts + make_interval(secs => p_ttl_seconds), q."rank"
      FROM "QueueEntry" q
      WHERE q."phaseId" = p_phase AND q."itemId" = ANY (batch) AND q."done" = false
        AND q."answers"
          + (SELECT COUNT(*) FROM "AnnotationLease" l
             WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" <> p_user AND l."expiresAt" > ts) < k
        AND NOT EXISTS (SELECT 1 FROM "AnnotationLease" l
                        WHERE l."phaseId" = q."phaseId" AND l."itemId" = q."itemId" AND l."userId" = p_user AND l."expiresAt" > ts)
        AND NOT EXISTS (SELECT 1 FROM "Annotation" a
                        WHERE a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = p_user AND a."undoneAt" IS NULL)
      ON CONFLICT ("phaseId", "itemId", "userId") DO UPDATE SET "expiresAt" = excluded."expiresAt", "sortKey" = excluded."sortKey"
      RETURNING t."itemId", t."expiresAt", t."sortKey", true;
      GET DIAGNOSTICS leased = ROW_COUNT;
      got := got + leased;
    END IF;
    EXIT claims WHEN got >= wanted OR exhausted;
  END LOOP;
END
$fn$;
