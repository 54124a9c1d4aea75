-- Added columns only: ALTER TABLE … ADD COLUMN keeps the rows where they are (a table rebuild
-- would copy every annotation and queue entry).
ALTER TABLE "Phase" ADD COLUMN "relabelTrusted" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Phase" ADD COLUMN "auditShare" REAL NOT NULL DEFAULT 0.05;
ALTER TABLE "QueueEntry" ADD COLUMN "audit" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Annotation" ADD COLUMN "audit" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Annotation" ADD COLUMN "teacherLabel" TEXT;
ALTER TABLE "Annotation" ADD COLUMN "modelId" INTEGER;
