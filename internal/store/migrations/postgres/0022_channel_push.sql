-- What writes changed in a property, for its channels: a row names days of
-- a rate plan (kind 'p': its rates and restrictions, and so those of the
-- plans derived from it) or of a room type (kind 'r': its availability),
-- once whatever the number of channels; the pusher works out which mapped
-- plans each names. seq orders the rows of a property: a write takes the
-- property's lock and the next seq for all its rows, and a row named again
-- moves to the new seq, so each channel keeps a cursor (channels.push_cursor)
-- below which it has sent everything. Rows every active channel has passed
-- are deleted.
CREATE TABLE channel_changes (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('p', 'r')),
    target_id   TEXT NOT NULL,
    date_from   BIGINT NOT NULL,
    date_to     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    UNIQUE (property_id, kind, target_id, date_from, date_to)
);
CREATE INDEX channel_changes_seq ON channel_changes (property_id, seq);

ALTER TABLE channels ADD COLUMN push_cursor BIGINT NOT NULL DEFAULT 0;
