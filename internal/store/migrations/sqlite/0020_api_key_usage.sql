-- A key's requests, per hour, by outcome class: one row per key and hour
-- with traffic (hour is the Unix microsecond of the hour's start, UTC).
-- The classes do not overlap: ok is every status below 400, denied 401
-- and 403, throttled 429, client_error every other 4xx, server_error 5xx.
-- Rows older than --key-usage-retention (90 days) are deleted.
CREATE TABLE api_key_usage (
    api_key_id   TEXT NOT NULL REFERENCES api_keys (id),
    hour         BIGINT NOT NULL,
    ok           BIGINT NOT NULL DEFAULT 0,
    client_error BIGINT NOT NULL DEFAULT 0,
    denied       BIGINT NOT NULL DEFAULT 0,
    throttled    BIGINT NOT NULL DEFAULT 0,
    server_error BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (api_key_id, hour)
);
CREATE INDEX api_key_usage_hour ON api_key_usage (hour);
