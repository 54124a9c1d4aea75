-- PostgreSQL only: submits and claims lock the items they touch, not the whole phase. SQLite's
-- statements are serialised by its write lock; nothing to change here.
SELECT 1;
