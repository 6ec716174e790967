-- What writes changed in properties' data, for the answers servers cache
-- (see store/datagen.go). PostgreSQL tells other servers with a
-- notification on keycard_data instead of these rows, so the table stays
-- empty here; it exists so that both databases keep the same schema
-- (SQLite's servers read it).
CREATE TABLE data_changes (
    seq         BIGSERIAL PRIMARY KEY,
    origin      TEXT NOT NULL,
    property_id TEXT NOT NULL,
    kinds       INTEGER NOT NULL
);
