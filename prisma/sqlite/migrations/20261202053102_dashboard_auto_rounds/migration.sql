-- Added columns only: ALTER TABLE … ADD COLUMN keeps the rows where they are (a table rebuild
-- would copy every round).
ALTER TABLE "Phase" ADD COLUMN "autoRoundAfterLabels" INTEGER;
ALTER TABLE "Round" ADD COLUMN "trigger" TEXT NOT NULL DEFAULT 'manual';
