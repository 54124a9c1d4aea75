-- Changes to a phase's open count since its last build, in 16 rows per phase (itemId % 16); see the
-- PostgreSQL migration of the same name for why. SQLite serialises writes anyway: the rows are the
-- same so that the code is the same on both databases.
-- CreateTable
CREATE TABLE "QueueOpenShard" (
    "phaseId" INTEGER NOT NULL,
    "shard" INTEGER NOT NULL,
    "delta" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("phaseId", "shard")
);

