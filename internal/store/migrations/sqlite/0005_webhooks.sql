-- Webhooks and their delivery queue. Signing secrets and custom headers
-- are sealed (AES-GCM, see package secretbox) under a key kept outside
-- the database. A delivery is queued in the transaction that made its
-- event; a server claims it with a lease (claimed_until), so that the
-- claims of a server that died return to the queue. Times are Unix
-- microseconds (UTC).

CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    -- NULL: every property the user reaches.
    property_id    TEXT REFERENCES properties (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    callback_url   TEXT NOT NULL,
    event_mask     TEXT NOT NULL,
    request_params TEXT NOT NULL DEFAULT '{}',
    headers_sealed BLOB NOT NULL,
    secret_sealed  BLOB NOT NULL,
    is_active      BOOLEAN NOT NULL DEFAULT FALSE,
    send_data      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX webhooks_property ON webhooks (property_id);
CREATE INDEX webhooks_user ON webhooks (user_id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    property_id     TEXT,
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,
    lease           TEXT,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- When the non_acked_booking event was queued for a revision still unacked
-- after --non-acked-after: once per revision.
ALTER TABLE booking_revisions ADD COLUMN non_acked_notified_at BIGINT;
CREATE INDEX booking_revisions_non_acked ON booking_revisions (inserted_at)
    WHERE acked_at IS NULL AND non_acked_notified_at IS NULL;
