-- The number of unacked revisions per property, kept with every revision
-- written and every ack, so that the feed's total costs one row per
-- property rather than a walk over every unacked revision.
CREATE TABLE booking_feed_counts (
    property_id TEXT PRIMARY KEY REFERENCES properties (id) ON DELETE CASCADE,
    unacked     BIGINT NOT NULL
);
INSERT INTO booking_feed_counts (property_id, unacked)
    SELECT property_id, COUNT(*) FROM booking_revisions WHERE acked_at IS NULL GROUP BY property_id;
