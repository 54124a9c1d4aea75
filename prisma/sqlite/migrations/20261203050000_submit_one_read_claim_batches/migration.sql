-- PostgreSQL only: distillery_submit reads the item's answers once and distillery_claim leases a
-- page's candidates in one statement. SQLite has no such functions; nothing to change here.
SELECT 1;
