-- PostgreSQL's 0003 gives its text columns the code point order SQLite
-- already uses (BINARY); nothing changes here.
SELECT 1;
