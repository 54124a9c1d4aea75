-- CreateTable
CREATE TABLE "QueueEntry" (
    "phaseId" INTEGER NOT NULL,
    "itemId" INTEGER NOT NULL,
    "modelId" INTEGER,
    "rank" INTEGER NOT NULL,
    "teacherLabel" TEXT,
    "answers" INTEGER NOT NULL DEFAULT 0,
    "done" BOOLEAN NOT NULL DEFAULT false,

    PRIMARY KEY ("phaseId", "itemId")
);

-- CreateTable
CREATE TABLE "QueueState" (
    "phaseId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "modelId" INTEGER,
    "strategy" TEXT NOT NULL,
    "open" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "builtAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AnnotationLease" (
    "phaseId" INTEGER NOT NULL,
    "itemId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "sortKey" REAL NOT NULL DEFAULT 0,

    PRIMARY KEY ("phaseId", "itemId", "userId")
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Phase" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "labels" TEXT NOT NULL,
    "threshold" REAL,
    "positiveLabel" TEXT,
    "dependsOnPhaseId" INTEGER,
    "dependsOnLabel" TEXT,
    "testFraction" REAL NOT NULL DEFAULT 0.1,
    "overlap" INTEGER NOT NULL DEFAULT 1,
    "queueStrategy" TEXT NOT NULL DEFAULT 'js',
    "classQuotas" TEXT,
    "minTextLength" INTEGER NOT NULL DEFAULT 2,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Phase_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Phase_dependsOnPhaseId_fkey" FOREIGN KEY ("dependsOnPhaseId") REFERENCES "Phase" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Phase" ("createdAt", "dependsOnLabel", "dependsOnPhaseId", "id", "key", "labels", "minTextLength", "name", "overlap", "position", "positiveLabel", "taskId", "testFraction", "threshold") SELECT "createdAt", "dependsOnLabel", "dependsOnPhaseId", "id", "key", "labels", "minTextLength", "name", "overlap", "position", "positiveLabel", "taskId", "testFraction", "threshold" FROM "Phase";
DROP TABLE "Phase";
ALTER TABLE "new_Phase" RENAME TO "Phase";
CREATE UNIQUE INDEX "Phase_taskId_key_key" ON "Phase"("taskId", "key");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "QueueEntry_phaseId_done_rank_idx" ON "QueueEntry"("phaseId", "done", "rank");

-- CreateIndex
CREATE INDEX "AnnotationLease_phaseId_userId_expiresAt_idx" ON "AnnotationLease"("phaseId", "userId", "expiresAt");

-- CreateIndex
CREATE INDEX "Annotation_phaseId_userId_id_idx" ON "Annotation"("phaseId", "userId", "id");

