-- view_n counts changes to what properties read as (a title, a photo, a
-- policy, a group's name) that leave access as it was: servers drop their
-- property caches when it moves, and keep their cached credentials, which
-- only n drops.
ALTER TABLE auth_epoch ADD COLUMN view_n BIGINT NOT NULL DEFAULT 0;
