-- Bookings, their revisions (the feed), reports about them, the nights
-- they hold, and tasks (the record of every ARI write and of every booking
-- change that moved availability). Days are counted from 1970-01-01;
-- times are Unix microseconds (UTC).

-- A booking is its latest revision's state; data is that state as JSON
-- (money in minor units). The columns beside it are what lists filter on.
CREATE TABLE bookings (
    id                   TEXT PRIMARY KEY,
    property_id          TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    revision_id          TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('new', 'modified', 'cancelled')),
    ota_name             TEXT NOT NULL,
    ota_reservation_code TEXT NOT NULL,
    arrival_date         BIGINT NOT NULL,
    departure_date       BIGINT NOT NULL,
    data                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    inserted_at          BIGINT NOT NULL,
    UNIQUE (property_id, ota_name, ota_reservation_code)
);
CREATE INDEX bookings_property_inserted ON bookings (property_id, inserted_at);
CREATE INDEX bookings_code ON bookings (ota_reservation_code);

-- seq orders the feed: oldest first. acked_at is NULL until acked.
CREATE TABLE booking_revisions (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    booking_id  TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('new', 'modified', 'cancelled')),
    system_id   TEXT NOT NULL,
    data        TEXT NOT NULL,
    inserted_at BIGINT NOT NULL,
    acked_at    BIGINT
);
CREATE INDEX booking_revisions_property ON booking_revisions (property_id, seq);
CREATE INDEX booking_revisions_unacked ON booking_revisions (property_id, seq) WHERE acked_at IS NULL;
CREATE INDEX booking_revisions_booking ON booking_revisions (booking_id, seq);

-- No-show, invalid-card and cancel-due-to-invalid-card reports.
CREATE TABLE booking_reports (
    id          TEXT PRIMARY KEY,
    booking_id  TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    api_key_id  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX booking_reports_booking ON booking_reports (booking_id);

-- The nights of the rooms of bookings that are not cancelled, per room
-- type (NULL when unmapped), rate plan and date: what the booked counts of
-- ARI reads add up.
CREATE TABLE booking_nights (
    booking_id   TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    room_type_id TEXT,
    rate_plan_id TEXT,
    day          BIGINT NOT NULL,
    rooms        BIGINT NOT NULL
);
CREATE INDEX booking_nights_booking ON booking_nights (booking_id);
CREATE INDEX booking_nights_room_type ON booking_nights (room_type_id, day);
CREATE INDEX booking_nights_rate_plan ON booking_nights (rate_plan_id, day);

-- The rooms a booking took from its room types' availability, per date:
-- what a modification or a cancellation gives back when the property's
-- autoupdate settings ask for it.
CREATE TABLE booking_holds (
    booking_id   TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    room_type_id TEXT NOT NULL,
    day          BIGINT NOT NULL,
    rooms        BIGINT NOT NULL,
    PRIMARY KEY (booking_id, room_type_id, day)
);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    api_key_id  TEXT,
    state       TEXT NOT NULL,
    data        TEXT NOT NULL,
    inserted_at BIGINT NOT NULL
);
CREATE INDEX tasks_property_inserted ON tasks (property_id, inserted_at);
CREATE INDEX tasks_inserted ON tasks (inserted_at);
