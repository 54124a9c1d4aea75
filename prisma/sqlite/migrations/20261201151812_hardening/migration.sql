-- AlterTable
ALTER TABLE "Annotation" ADD COLUMN "undoOpId" TEXT;

-- CreateTable
CREATE TABLE "PhaseLock" (
    "phaseId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,

    PRIMARY KEY ("phaseId", "kind")
);

-- CreateIndex
CREATE UNIQUE INDEX "Annotation_undoOpId_key" ON "Annotation"("undoOpId");

