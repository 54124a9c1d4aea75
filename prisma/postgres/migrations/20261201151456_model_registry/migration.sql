-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "scopes" TEXT NOT NULL DEFAULT 'read,annotate,predict,admin';

-- AlterTable
ALTER TABLE "StudentModel" ADD COLUMN     "reviewNote" TEXT,
ADD COLUMN     "throughput" TEXT;

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'live',
ADD COLUMN     "note" TEXT,
ADD COLUMN     "share" DOUBLE PRECISION NOT NULL DEFAULT 1;

