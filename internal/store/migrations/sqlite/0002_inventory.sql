-- Room types, rate plans and their availability, rates and restrictions
-- (ARI). ARI is kept per date: one row per room type and date, one row per
-- rate plan option and date, holding only what was written; a date without
-- a row reads as the defaults (availability 0; the option's rate and the
-- plan's weekday defaults). Days are counted from 1970-01-01; times are
-- Unix microseconds (UTC); booleans are 0/1.

CREATE TABLE room_types (
    id                TEXT PRIMARY KEY,
    property_id       TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    count_of_rooms    INTEGER NOT NULL,
    occ_adults        INTEGER NOT NULL,
    occ_children      INTEGER NOT NULL,
    occ_infants       INTEGER NOT NULL,
    default_occupancy INTEGER NOT NULL,
    room_kind         TEXT NOT NULL CHECK (room_kind IN ('room', 'dorm')),
    capacity          INTEGER,
    position          INTEGER NOT NULL DEFAULT 0,
    facilities        TEXT NOT NULL DEFAULT '[]',
    content           TEXT NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (property_id, title)
);

CREATE TABLE rate_plans (
    id                          TEXT PRIMARY KEY,
    property_id                 TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    room_type_id                TEXT NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    parent_rate_plan_id         TEXT REFERENCES rate_plans (id),
    title                       TEXT NOT NULL,
    currency                    TEXT NOT NULL,
    sell_mode                   TEXT NOT NULL CHECK (sell_mode IN ('per_room', 'per_person')),
    rate_mode                   TEXT NOT NULL CHECK (rate_mode IN ('manual', 'derived')),
    meal_type                   TEXT NOT NULL DEFAULT '',
    children_fee                INTEGER NOT NULL DEFAULT 0,
    infant_fee                  INTEGER NOT NULL DEFAULT 0,
    -- the weekday defaults, Monday first: {"max_stay": [7 ints], ...}
    weekday_defaults            TEXT NOT NULL,
    inherit_rate                INTEGER NOT NULL DEFAULT 0,
    inherit_closed_to_arrival   INTEGER NOT NULL DEFAULT 0,
    inherit_closed_to_departure INTEGER NOT NULL DEFAULT 0,
    inherit_stop_sell           INTEGER NOT NULL DEFAULT 0,
    inherit_min_stay_arrival    INTEGER NOT NULL DEFAULT 0,
    inherit_min_stay_through    INTEGER NOT NULL DEFAULT 0,
    inherit_max_stay            INTEGER NOT NULL DEFAULT 0,
    inherit_max_sell            INTEGER NOT NULL DEFAULT 0,
    inherit_max_availability    INTEGER NOT NULL DEFAULT 0,
    inherit_availability_offset INTEGER NOT NULL DEFAULT 0,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    UNIQUE (property_id, title)
);
CREATE INDEX rate_plans_room_type ON rate_plans (room_type_id);
CREATE INDEX rate_plans_parent ON rate_plans (parent_rate_plan_id);

-- The primary option's id is its rate plan's id.
CREATE TABLE rate_plan_options (
    id             TEXT PRIMARY KEY,
    rate_plan_id   TEXT NOT NULL REFERENCES rate_plans (id) ON DELETE CASCADE,
    occupancy      INTEGER NOT NULL,
    is_primary     INTEGER NOT NULL,
    rate           INTEGER NOT NULL DEFAULT 0,
    derived_option TEXT
);
CREATE INDEX rate_plan_options_plan ON rate_plan_options (rate_plan_id);

CREATE TABLE room_type_days (
    room_type_id TEXT NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    day          INTEGER NOT NULL,
    availability INTEGER NOT NULL,
    PRIMARY KEY (room_type_id, day)
) WITHOUT ROWID;

-- A NULL value was never written and reads as the plan's default.
CREATE TABLE rate_option_days (
    rate_option_id      TEXT NOT NULL REFERENCES rate_plan_options (id) ON DELETE CASCADE,
    day                 INTEGER NOT NULL,
    rate                INTEGER,
    min_stay_arrival    INTEGER,
    min_stay_through    INTEGER,
    max_stay            INTEGER,
    closed_to_arrival   INTEGER,
    closed_to_departure INTEGER,
    stop_sell           INTEGER,
    availability_offset INTEGER,
    max_availability    INTEGER,
    max_sell            INTEGER,
    PRIMARY KEY (rate_option_id, day)
) WITHOUT ROWID;
