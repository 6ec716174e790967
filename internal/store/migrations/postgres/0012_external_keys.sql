-- A property's organisation stays in control of the keys of users from
-- other organisations (invited property or group users) that reach its
-- properties: it may refuse all of them (allow_external_keys) or block
-- one. A block holds for the organisation's properties only.
ALTER TABLE organizations ADD COLUMN allow_external_keys BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE api_key_blocks (
    api_key_id      TEXT NOT NULL REFERENCES api_keys (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    blocked_at      BIGINT NOT NULL,
    blocked_by      TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (api_key_id, organization_id)
);
CREATE INDEX api_key_blocks_org ON api_key_blocks (organization_id);
