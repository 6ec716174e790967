-- Accounts, organisations, properties, access and API keys.
-- Times are Unix microseconds (UTC); booleans are 0/1.

CREATE TABLE organizations (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    owner_user_id       TEXT NOT NULL,
    subscription_status TEXT NOT NULL DEFAULT 'inactive' CHECK (subscription_status IN ('active', 'inactive')),
    created_at          INTEGER NOT NULL
);
CREATE INDEX organizations_owner ON organizations (owner_user_id);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL DEFAULT '',
    password_hash   TEXT,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    created_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash         TEXT NOT NULL UNIQUE,
    refresh_hash       TEXT NOT NULL UNIQUE,
    expires_at         INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    created_at         INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE groups (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    title           TEXT NOT NULL,
    is_default      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX groups_org ON groups (organization_id);

CREATE TABLE properties (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    title           TEXT NOT NULL,
    currency        TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    zip_code        TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    longitude       TEXT NOT NULL DEFAULT '',
    latitude        TEXT NOT NULL DEFAULT '',
    timezone        TEXT NOT NULL DEFAULT '',
    property_type   TEXT NOT NULL DEFAULT '',
    logo_url        TEXT NOT NULL DEFAULT '',
    website         TEXT NOT NULL DEFAULT '',
    facilities      TEXT NOT NULL DEFAULT '[]',
    settings        TEXT NOT NULL DEFAULT '{}',
    content         TEXT NOT NULL DEFAULT '{}',
    is_active       INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX properties_org ON properties (organization_id);

CREATE TABLE group_properties (
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, property_id)
);
CREATE INDEX group_properties_property ON group_properties (property_id);

CREATE TABLE property_users (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'user')),
    overrides   TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, user_id)
);
CREATE INDEX property_users_user ON property_users (user_id);

CREATE TABLE group_users (
    id         TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'user')),
    overrides  TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_users_user ON group_users (user_id);

CREATE TABLE api_keys (
    id                    TEXT PRIMARY KEY,
    organization_id       TEXT NOT NULL REFERENCES organizations (id),
    user_id               TEXT NOT NULL REFERENCES users (id),
    name                  TEXT NOT NULL,
    key_hash              TEXT NOT NULL UNIQUE,
    hint                  TEXT NOT NULL,
    access_all_properties INTEGER NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    created_at            INTEGER NOT NULL,
    last_used_at          INTEGER,
    use_count             INTEGER NOT NULL DEFAULT 0,
    withdrawn_at          INTEGER
);
CREATE INDEX api_keys_org ON api_keys (organization_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE api_key_properties (
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    property_id TEXT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, property_id)
);
CREATE INDEX api_key_properties_property ON api_key_properties (property_id);

-- auth_epoch counts changes that cached credentials depend on (withdrawals,
-- scope and subscription changes); servers poll it to drop stale entries.
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);
