-- AlterTable
ALTER TABLE "StudentModel" ADD COLUMN "reviewNote" TEXT;
ALTER TABLE "StudentModel" ADD COLUMN "throughput" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME,
    "scopes" TEXT NOT NULL DEFAULT 'read,annotate,predict,admin',
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiToken" ("createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "tokenHash", "userId") SELECT "createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "tokenHash", "userId" FROM "ApiToken";
DROP TABLE "ApiToken";
ALTER TABLE "new_ApiToken" RENAME TO "ApiToken";
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");
CREATE TABLE "new_Deployment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "phaseId" INTEGER NOT NULL,
    "modelId" INTEGER NOT NULL,
    "deployedById" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rolledBackAt" DATETIME,
    "kind" TEXT NOT NULL DEFAULT 'live',
    "share" REAL NOT NULL DEFAULT 1,
    "note" TEXT,
    CONSTRAINT "Deployment_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "StudentModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Deployment" ("createdAt", "deployedById", "id", "modelId", "phaseId", "rolledBackAt") SELECT "createdAt", "deployedById", "id", "modelId", "phaseId", "rolledBackAt" FROM "Deployment";
DROP TABLE "Deployment";
ALTER TABLE "new_Deployment" RENAME TO "Deployment";
CREATE INDEX "Deployment_phaseId_rolledBackAt_idx" ON "Deployment"("phaseId", "rolledBackAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

