-- Bookings from channels: the inbound key a connection pushes with, the
-- bookings each connection made (matched by its reservation id), and the
-- known mappings that resolve a channel's codes for later bookings.

-- The inbound key keycard issues for a connection (header api-key on
-- /channel_webhooks/open_channel/*): stored only as its SHA-256, shown
-- once. Deleting the connection withdraws it.
ALTER TABLE channels ADD COLUMN inbound_key_hash TEXT;
ALTER TABLE channels ADD COLUMN inbound_key_hint TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX channels_inbound_key ON channels (inbound_key_hash);

-- The booking a connection's reservation id names, and the hash of the
-- last push applied to it: the same push sent again writes nothing.
CREATE TABLE channel_bookings (
    channel_id     TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    reservation_id TEXT NOT NULL,
    booking_id     TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    push_hash      TEXT NOT NULL,
    PRIMARY KEY (channel_id, reservation_id)
);
CREATE INDEX channel_bookings_booking ON channel_bookings (booking_id);

-- The booking an event is about (an unmapped booking's), so that one
-- booking opens one event while it is open.
ALTER TABLE channel_events ADD COLUMN booking_id TEXT;
CREATE INDEX channel_events_booking ON channel_events (booking_id) WHERE booking_id IS NOT NULL;

-- Known mappings: a channel's (room_type_code, rate_plan_code) resolved to
-- a keycard room type and rate plan for incoming bookings, beside the
-- rate plan mappings. 'manual' ones are recorded when a user resolves an
-- unmapped booking. A null rate_plan_id maps the room type only.
CREATE TABLE channel_known_mappings (
    id             TEXT PRIMARY KEY,
    channel_id     TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    type           TEXT NOT NULL CHECK (type IN ('auto', 'manual')),
    room_type_code TEXT NOT NULL,
    rate_plan_code TEXT NOT NULL,
    room_type_id   TEXT NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    rate_plan_id   TEXT REFERENCES rate_plans (id) ON DELETE CASCADE,
    user_id        TEXT,
    created_at     BIGINT NOT NULL,
    UNIQUE (channel_id, room_type_code, rate_plan_code)
);
