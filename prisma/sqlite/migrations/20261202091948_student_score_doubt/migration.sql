-- An added column only: ALTER TABLE … ADD COLUMN keeps the rows where they are (a table rebuild
-- would copy every scored item of every model).
ALTER TABLE "StudentScore" ADD COLUMN "doubt" REAL NOT NULL DEFAULT 0;
