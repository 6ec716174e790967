-- Sort and compare the text that lists are ordered and filtered by in code
-- point order, as SQLite does, so that order[title] and filter[title][gte]
-- give the same pages on both databases whatever the server's locale.
ALTER TABLE properties ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE groups ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE room_types ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE rate_plans ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE api_keys ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN email_key TYPE TEXT COLLATE "C";
