-- A key can be reported leaked (by a secret-scanning partner such as
-- GitHub, or by `keycard key scan --report`). withdrawn_reason says why a
-- withdrawn key was withdrawn ('' for its owner's own withdrawal, 'leaked'
-- for a report); leaked_at and leaked_url say when and where it was found,
-- and leak_dismissed_at when the owner dismissed the Organisation page's
-- banner about it. A reported key is withdrawn at once unless the server
-- only flags leaks, in which case it stays active with leaked_at set.
ALTER TABLE api_keys ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN leaked_at BIGINT;
ALTER TABLE api_keys ADD COLUMN leaked_url TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN leak_dismissed_at BIGINT;
CREATE INDEX api_keys_leak_banner ON api_keys (organization_id) WHERE leaked_at IS NOT NULL AND leak_dismissed_at IS NULL;
