-- Lists filter and order by these fields most (property_id, created_at,
-- which Channex calls inserted_at, updated_at, arrival_date and status).
-- A list always narrows to the properties in reach first, so each index
-- leads with property_id and the field then reads as a range within it.
-- Indexes that already exist: bookings (property_id, inserted_at), tasks
-- (property_id, inserted_at), booking_revisions (property_id, seq), the
-- property_id indexes of every property-owned table, and room_types and
-- rate_plans (property_id, title).
CREATE INDEX room_types_property_created ON room_types (property_id, created_at);
CREATE INDEX room_types_property_updated ON room_types (property_id, updated_at);
CREATE INDEX rate_plans_property_created ON rate_plans (property_id, created_at);
CREATE INDEX rate_plans_property_updated ON rate_plans (property_id, updated_at);
CREATE INDEX hotel_policies_property_created ON hotel_policies (property_id, created_at);
CREATE INDEX hotel_policies_property_updated ON hotel_policies (property_id, updated_at);
CREATE INDEX taxes_property_created ON taxes (property_id, created_at);
CREATE INDEX taxes_property_updated ON taxes (property_id, updated_at);
CREATE INDEX tax_sets_property_created ON tax_sets (property_id, created_at);
CREATE INDEX tax_sets_property_updated ON tax_sets (property_id, updated_at);
CREATE INDEX photos_property_created ON photos (property_id, created_at);
CREATE INDEX photos_property_updated ON photos (property_id, updated_at);
CREATE INDEX webhooks_property_created ON webhooks (property_id, created_at);
CREATE INDEX bookings_property_arrival ON bookings (property_id, arrival_date);
CREATE INDEX bookings_property_departure ON bookings (property_id, departure_date);
CREATE INDEX bookings_property_status ON bookings (property_id, status);
CREATE INDEX booking_revisions_property_inserted ON booking_revisions (property_id, inserted_at);
CREATE INDEX booking_revisions_property_status ON booking_revisions (property_id, status);
CREATE INDEX properties_created ON properties (created_at);
CREATE INDEX properties_updated ON properties (updated_at);
CREATE INDEX api_keys_org_created ON api_keys (organization_id, created_at);
CREATE INDEX api_keys_org_status ON api_keys (organization_id, status);
