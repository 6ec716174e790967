-- The rest of a property's setup: hotel policies, taxes and tax sets,
-- photos and uploaded photo files. Times are Unix microseconds (UTC);
-- booleans are 0/1; money is in minor units of the row's currency; a tax's
-- percent rate is in hundredths of a percent.

CREATE TABLE hotel_policies (
    id                       TEXT PRIMARY KEY,
    property_id              TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title                    TEXT NOT NULL,
    currency                 TEXT NOT NULL,
    is_adults_only           INTEGER NOT NULL DEFAULT 0,
    max_count_of_guests      INTEGER NOT NULL,
    checkin_time             TEXT NOT NULL,
    checkout_time            TEXT NOT NULL,
    internet_access_type     TEXT NOT NULL,
    internet_access_cost     INTEGER,
    internet_access_coverage TEXT NOT NULL DEFAULT '',
    parking_type             TEXT NOT NULL,
    parking_reservation      TEXT NOT NULL DEFAULT '',
    parking_is_private       INTEGER NOT NULL DEFAULT 0,
    pets_policy              TEXT NOT NULL,
    pets_non_refundable_fee  INTEGER NOT NULL DEFAULT 0,
    pets_refundable_deposit  INTEGER NOT NULL DEFAULT 0,
    smoking_policy           TEXT NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);
CREATE INDEX hotel_policies_property ON hotel_policies (property_id);

CREATE TABLE taxes (
    id                     TEXT PRIMARY KEY,
    property_id            TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title                  TEXT NOT NULL,
    logic                  TEXT NOT NULL,
    type                   TEXT NOT NULL,
    rate                   INTEGER NOT NULL,
    currency               TEXT NOT NULL,
    is_inclusive           INTEGER NOT NULL DEFAULT 0,
    skip_nights            INTEGER,
    max_nights             INTEGER,
    -- [{"after": "YYYY-MM-DD", "before": "YYYY-MM-DD"}, ...]
    applicable_date_ranges TEXT NOT NULL DEFAULT '[]',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX taxes_property ON taxes (property_id);

CREATE TABLE tax_sets (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tax_sets_property ON tax_sets (property_id);

CREATE TABLE tax_set_taxes (
    tax_set_id TEXT NOT NULL REFERENCES tax_sets (id) ON DELETE CASCADE,
    tax_id     TEXT NOT NULL REFERENCES taxes (id) ON DELETE CASCADE,
    level      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tax_set_id, tax_id)
);
CREATE INDEX tax_set_taxes_tax ON tax_set_taxes (tax_id);

-- A property's hotel policy and default tax set are kept consistent by the
-- store (cleared when the policy or set goes), not by foreign keys, which
-- would make a cycle with the tables above.
ALTER TABLE properties ADD COLUMN hotel_policy_id TEXT;
ALTER TABLE properties ADD COLUMN default_tax_set_id TEXT;
ALTER TABLE rate_plans ADD COLUMN tax_set_id TEXT REFERENCES tax_sets (id) ON DELETE SET NULL;
CREATE INDEX rate_plans_tax_set ON rate_plans (tax_set_id);

CREATE TABLE photos (
    id           TEXT PRIMARY KEY,
    property_id  TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    room_type_id TEXT REFERENCES room_types (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    author       TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX photos_property ON photos (property_id);
CREATE INDEX photos_room_type ON photos (room_type_id);

-- Uploaded image files. SQLite keeps the bytes in files next to the
-- database (data is NULL); PostgreSQL keeps them here.
CREATE TABLE photo_files (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    data            BLOB,
    created_at      INTEGER NOT NULL
);

-- Photos were kept inside the content of properties and room types; they
-- move here, with their ids.
INSERT OR IGNORE INTO photos (id, property_id, room_type_id, url, description, author, kind, position, created_at, updated_at)
SELECT json_extract(j.value, '$.id'), p.id, NULL, COALESCE(json_extract(j.value, '$.url'), ''),
       COALESCE(json_extract(j.value, '$.description'), ''), COALESCE(json_extract(j.value, '$.author'), ''),
       COALESCE(json_extract(j.value, '$.kind'), 'photo'), COALESCE(json_extract(j.value, '$.position'), 0), p.updated_at, p.updated_at
FROM properties p, json_each(p.content, '$.photos') j
WHERE json_extract(j.value, '$.id') IS NOT NULL;
INSERT OR IGNORE INTO photos (id, property_id, room_type_id, url, description, author, kind, position, created_at, updated_at)
SELECT json_extract(j.value, '$.id'), rt.property_id, rt.id, COALESCE(json_extract(j.value, '$.url'), ''),
       COALESCE(json_extract(j.value, '$.description'), ''), COALESCE(json_extract(j.value, '$.author'), ''),
       COALESCE(json_extract(j.value, '$.kind'), 'photo'), COALESCE(json_extract(j.value, '$.position'), 0), rt.updated_at, rt.updated_at
FROM room_types rt, json_each(rt.content, '$.photos') j
WHERE json_extract(j.value, '$.id') IS NOT NULL;
