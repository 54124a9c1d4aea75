-- PostgreSQL only: a submit in one round trip (the function "distillery_submit"). SQLite runs the
-- same statements one by one from lib/queue/annotate.ts; nothing to change here.
SELECT 1;
