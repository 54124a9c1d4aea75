-- PostgreSQL only: distillery_submit planned for each call. SQLite has no such function; nothing to change here.
SELECT 1;
