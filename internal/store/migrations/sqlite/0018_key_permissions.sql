-- A key's level in each resource family (see keycard.Families), in the form
-- "family=level,...": families not named are none. Every key made before
-- permissions existed becomes Full, and a read-only one Read only.
-- read_only stays, kept equal to "grants no write", for lists that filter by it.
ALTER TABLE api_keys ADD COLUMN permissions TEXT NOT NULL DEFAULT 'properties=write,inventory=write,availability=write,restrictions=write,bookings=write,webhooks=write,channels=write';
UPDATE api_keys SET permissions = 'properties=read,inventory=read,availability=read,restrictions=read,bookings=read,webhooks=read,channels=read' WHERE read_only = 1;
