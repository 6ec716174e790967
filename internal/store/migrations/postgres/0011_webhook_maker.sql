-- A webhook records who made it: user_id, and api_key_id when a key made
-- it. A delivery goes out only while that maker could still read the data;
-- otherwise the webhook is paused, and paused_reason says why (empty while
-- it is not paused by keycard). A key is never deleted, so the reference
-- stays valid.
ALTER TABLE webhooks ADD COLUMN api_key_id TEXT REFERENCES api_keys (id);
ALTER TABLE webhooks ADD COLUMN paused_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX webhooks_api_key ON webhooks (api_key_id);
