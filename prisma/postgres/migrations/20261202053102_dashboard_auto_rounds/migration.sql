-- AlterTable
ALTER TABLE "Phase" ADD COLUMN     "autoRoundAfterLabels" INTEGER;

-- AlterTable
ALTER TABLE "Round" ADD COLUMN     "trigger" TEXT NOT NULL DEFAULT 'manual';

