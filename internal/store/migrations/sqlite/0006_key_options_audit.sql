-- Key options: expiry, read-only, an IP allow-list (comma-separated
-- addresses and CIDRs, empty for any), and the previous secret of a rolled
-- key with the end of its grace period.
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN previous_key_hash TEXT;
ALTER TABLE api_keys ADD COLUMN previous_expires_at INTEGER;
CREATE UNIQUE INDEX api_keys_previous_hash ON api_keys (previous_key_hash);

-- audit_events records key events and sign-ins. It never holds a secret:
-- details is a JSON object of non-secret facts (what changed, a reason).
CREATE TABLE audit_events (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    event           TEXT NOT NULL,
    api_key_id      TEXT,
    user_id         TEXT,
    actor_type      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_org_time ON audit_events (organization_id, occurred_at);
CREATE INDEX audit_events_key ON audit_events (api_key_id, event);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
