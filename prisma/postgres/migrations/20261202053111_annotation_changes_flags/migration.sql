-- AlterTable
ALTER TABLE "Annotation" ADD COLUMN     "changedAt" TIMESTAMP(3),
ADD COLUMN     "note" TEXT,
ADD COLUMN     "resolution" TEXT,
ADD COLUMN     "resolvedAt" TIMESTAMP(3),
ADD COLUMN     "resolvedById" INTEGER,
ADD COLUMN     "revision" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Annotation_phaseId_action_resolution_idx" ON "Annotation"("phaseId", "action", "resolution");

