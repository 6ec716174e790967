-- channel_changes is keyed by what a row names (property, kind, target,
-- days) instead of a random id beside a unique index on the same columns:
-- every ARI write to a property with active channels upserts its rows, and
-- one index less to keep (and no id to generate) made that upsert about
-- half as costly.
CREATE TABLE channel_changes_keyed (
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('p', 'r')),
    target_id   TEXT NOT NULL,
    date_from   BIGINT NOT NULL,
    date_to     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (property_id, kind, target_id, date_from, date_to)
);
INSERT INTO channel_changes_keyed (property_id, kind, target_id, date_from, date_to, seq)
    SELECT property_id, kind, target_id, date_from, date_to, seq FROM channel_changes;
DROP TABLE channel_changes;
ALTER TABLE channel_changes_keyed RENAME TO channel_changes;
CREATE INDEX channel_changes_seq ON channel_changes (property_id, seq);
