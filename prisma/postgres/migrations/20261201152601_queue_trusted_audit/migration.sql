-- AlterTable
ALTER TABLE "Phase" ADD COLUMN     "auditShare" DOUBLE PRECISION NOT NULL DEFAULT 0.05,
ADD COLUMN     "relabelTrusted" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Annotation" ADD COLUMN     "audit" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "modelId" INTEGER,
ADD COLUMN     "teacherLabel" TEXT;

-- AlterTable
ALTER TABLE "QueueEntry" ADD COLUMN     "audit" BOOLEAN NOT NULL DEFAULT false;

