-- AlterTable
ALTER TABLE "Phase" ADD COLUMN     "classQuotas" TEXT,
ADD COLUMN     "queueStrategy" TEXT NOT NULL DEFAULT 'js';

-- CreateTable
CREATE TABLE "QueueEntry" (
    "phaseId" INTEGER NOT NULL,
    "itemId" INTEGER NOT NULL,
    "modelId" INTEGER,
    "rank" INTEGER NOT NULL,
    "teacherLabel" TEXT,
    "answers" INTEGER NOT NULL DEFAULT 0,
    "done" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "QueueEntry_pkey" PRIMARY KEY ("phaseId","itemId")
);

-- CreateTable
CREATE TABLE "QueueState" (
    "phaseId" INTEGER NOT NULL,
    "modelId" INTEGER,
    "strategy" TEXT NOT NULL,
    "open" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "builtAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QueueState_pkey" PRIMARY KEY ("phaseId")
);

-- CreateTable
CREATE TABLE "AnnotationLease" (
    "phaseId" INTEGER NOT NULL,
    "itemId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "sortKey" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "AnnotationLease_pkey" PRIMARY KEY ("phaseId","itemId","userId")
);

-- CreateIndex
CREATE INDEX "QueueEntry_phaseId_done_rank_idx" ON "QueueEntry"("phaseId", "done", "rank");

-- CreateIndex
CREATE INDEX "AnnotationLease_phaseId_userId_expiresAt_idx" ON "AnnotationLease"("phaseId", "userId", "expiresAt");

-- CreateIndex
CREATE INDEX "Annotation_phaseId_userId_id_idx" ON "Annotation"("phaseId", "userId", "id");

