-- Added columns only: ALTER TABLE … ADD COLUMN keeps the rows where they are (a table rebuild
-- would copy every annotation).
ALTER TABLE "Annotation" ADD COLUMN "note" TEXT;
ALTER TABLE "Annotation" ADD COLUMN "revision" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Annotation" ADD COLUMN "changedAt" DATETIME;
ALTER TABLE "Annotation" ADD COLUMN "resolution" TEXT;
ALTER TABLE "Annotation" ADD COLUMN "resolvedById" INTEGER;
ALTER TABLE "Annotation" ADD COLUMN "resolvedAt" DATETIME;

-- CreateIndex
CREATE INDEX "Annotation_phaseId_action_resolution_idx" ON "Annotation"("phaseId", "action", "resolution");
