-- Channels: connections through which keycard distributes ARI (Open
-- Channel). A channel belongs to a group and covers one property. Times are
-- Unix microseconds (UTC); days are keycard.Date (days since 1970-01-01).

CREATE TABLE channels (
    id                    TEXT PRIMARY KEY,
    group_id              TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    property_id           TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    -- The adapter code: "OpenChannel".
    channel               TEXT NOT NULL,
    title                 TEXT NOT NULL,
    currency              TEXT NOT NULL DEFAULT '',
    -- The adapter's settings: endpoint and hotel_code in clear, api_key
    -- sealed (package secretbox; an empty key is sealed too), every other
    -- settings key as JSON.
    endpoint              TEXT NOT NULL,
    hotel_code            TEXT NOT NULL,
    api_key_sealed        BYTEA NOT NULL,
    settings              TEXT NOT NULL DEFAULT '{}',
    is_active             BOOLEAN NOT NULL DEFAULT FALSE,
    -- Set on deactivation (30 days on), cleared on activation.
    expected_removal_date BIGINT,
    -- Who made it, as for webhooks.
    user_id               TEXT REFERENCES users (id) ON DELETE SET NULL,
    api_key_id            TEXT REFERENCES api_keys (id),
    -- The pusher's state: one server pushes to a channel at a time, under a
    -- lease; a failed push waits until next_push_at.
    push_lease            TEXT,
    push_claimed_until    BIGINT,
    next_push_at          BIGINT NOT NULL DEFAULT 0,
    push_failures         BIGINT NOT NULL DEFAULT 0,
    last_push_at          BIGINT,
    last_error            TEXT NOT NULL DEFAULT '',
    last_error_at         BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
-- One connection per channel-side hotel.
CREATE UNIQUE INDEX channels_hotel ON channels (channel, endpoint, hotel_code);
CREATE INDEX channels_property ON channels (property_id);
CREATE INDEX channels_group ON channels (group_id);

-- A mapping of a channel rate plan (its room_type_code and rate_plan_code
-- from the channel's mapping_details) to a keycard rate plan and the
-- occupancy whose rate is pushed. A per_person channel plan has one row per
-- mapped occupancy. sell_mode, max_persons, read_only and channel_currency
-- are the channel's own description of its plan, taken from its
-- mapping_details when the mapping was saved or the channel activated.
CREATE TABLE channel_rate_plans (
    id               TEXT PRIMARY KEY,
    channel_id       TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    rate_plan_id     TEXT NOT NULL REFERENCES rate_plans (id) ON DELETE CASCADE,
    room_type_code   TEXT NOT NULL,
    rate_plan_code   TEXT NOT NULL,
    occupancy        BIGINT NOT NULL,
    -- Every settings key as sent (derived_option, primary_occ, ...).
    settings         TEXT NOT NULL DEFAULT '{}',
    sell_mode        TEXT NOT NULL DEFAULT 'per_room',
    max_persons      BIGINT NOT NULL DEFAULT 0,
    read_only        BOOLEAN NOT NULL DEFAULT FALSE,
    channel_currency TEXT NOT NULL DEFAULT '',
    position         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX channel_rate_plans_channel ON channel_rate_plans (channel_id, position);
CREATE INDEX channel_rate_plans_rate_plan ON channel_rate_plans (rate_plan_id);

-- The outbox: which days of which mapped rate plan a channel must be sent
-- again. A row names cells, not values; the pusher reads the current values
-- when it sends, so a newer value always wins and a channel that was down
-- receives the current state once, not a replay. A row is written in the
-- transaction of the change that made it; version grows when a later
-- change marks the same range again, so a push removes only the rows it
-- read at the version it read.
CREATE TABLE channel_outbox (
    id           TEXT PRIMARY KEY,
    channel_id   TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    rate_plan_id TEXT NOT NULL,
    date_from    BIGINT NOT NULL,
    date_to      BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (channel_id, rate_plan_id, date_from, date_to)
);
CREATE INDEX channel_outbox_channel ON channel_outbox (channel_id, created_at);

-- What happened on a channel: pushes, failures, mapping and state changes
-- (and, with inbound bookings, unmapped ones). status is 'ok', 'failed' or
-- 'open'/'resolved' for events that await a user.
CREATE TABLE channel_events (
    id          TEXT PRIMARY KEY,
    channel_id  TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    property_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'ok',
    payload     TEXT NOT NULL DEFAULT '{}',
    user_id     TEXT,
    resolved_at BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX channel_events_channel ON channel_events (channel_id, created_at);
CREATE INDEX channel_events_property ON channel_events (property_id, created_at);
CREATE INDEX channel_events_created ON channel_events (created_at);

-- The channel log: every exchange with a channel, kept --channel-log-retention.
CREATE TABLE channel_logs (
    id               TEXT PRIMARY KEY,
    channel_id       TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    channel_event_id TEXT REFERENCES channel_events (id) ON DELETE CASCADE,
    method           TEXT NOT NULL,
    url              TEXT NOT NULL,
    request_id       TEXT NOT NULL DEFAULT '',
    request_body     TEXT NOT NULL DEFAULT '',
    status           BIGINT NOT NULL DEFAULT 0,
    response_body    TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    duration_us      BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX channel_logs_event ON channel_logs (channel_event_id);
CREATE INDEX channel_logs_channel ON channel_logs (channel_id, created_at);
CREATE INDEX channel_logs_created ON channel_logs (created_at);

-- Availability rules: what some channels receive for some room types,
-- changed from the room type's availability.
CREATE TABLE channel_availability_rules (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('close_out', 'availability_offset', 'max_availability')),
    value       BIGINT NOT NULL DEFAULT 0,
    start_date  BIGINT NOT NULL,
    -- NULL: open-ended.
    end_date    BIGINT,
    -- keycard.Weekdays: bit 0 Monday; 127 every day.
    days        BIGINT NOT NULL DEFAULT 127,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX channel_availability_rules_property ON channel_availability_rules (property_id, created_at);

CREATE TABLE channel_availability_rule_channels (
    rule_id    TEXT NOT NULL REFERENCES channel_availability_rules (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (rule_id, channel_id)
);
CREATE INDEX channel_availability_rule_channels_channel ON channel_availability_rule_channels (channel_id);

CREATE TABLE channel_availability_rule_room_types (
    rule_id      TEXT NOT NULL REFERENCES channel_availability_rules (id) ON DELETE CASCADE,
    room_type_id TEXT NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    PRIMARY KEY (rule_id, room_type_id)
);
