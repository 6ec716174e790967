-- What writes changed in properties' data, for the answers servers cache
-- (see store/datagen.go): with SQLite a write appends a row per property
-- whose ARI, bookings or booking feed it changed, and every other process reads the rows past the last it saw
-- when PRAGMA data_version says another connection committed. origin names
-- the process that wrote, which skips its own rows. seq has no gaps (one
-- writer at a time, AUTOINCREMENT): a reader that finds the next seq gone
-- fell behind the pruning and drops everything. PostgreSQL tells the same
-- with a notification instead, and leaves its table empty.
CREATE TABLE data_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    origin      TEXT NOT NULL,
    property_id TEXT NOT NULL,
    kinds       INTEGER NOT NULL
);
