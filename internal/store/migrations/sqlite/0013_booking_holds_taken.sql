-- A booking holds each night for its rooms, but takes from availability
-- only what there was (availability stops at 0, and an overbooking is
-- accepted): taken is how many of the rooms it took, and all that a
-- change or a cancellation may give back. Holds written before did not
-- know; they keep what they claimed.
ALTER TABLE booking_holds ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;
UPDATE booking_holds SET taken = rooms;
-- The holds still short of a room, which what another booking gives back
-- goes to first.
CREATE INDEX booking_holds_short ON booking_holds (room_type_id, day) WHERE taken < rooms;
