package api

import "github.com/keycard/keycard/internal/keycard"

// setupRoutes registers the routes of the rest of a property's set-up:
// hotel policies, cancellation policies, taxes and tax sets, the facilities catalogue, photos and
// the property health check. Everything is authenticated and reached
// through the principal's properties, except uploaded photo files, which
// are served to anyone holding their (unguessable) URL, as OTAs fetch them.
func (s *Server) setupRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/hotel_policies", s.reads(keycard.FamilyProperties, s.listHotelPolicies))
	mux.Handle("POST /api/v1/hotel_policies", s.writes(keycard.FamilyProperties, s.createHotelPolicy))
	mux.Handle("GET /api/v1/hotel_policies/{id}", s.reads(keycard.FamilyProperties, s.getHotelPolicy))
	mux.Handle("PUT /api/v1/hotel_policies/{id}", s.writes(keycard.FamilyProperties, s.updateHotelPolicy))
	mux.Handle("DELETE /api/v1/hotel_policies/{id}", s.writes(keycard.FamilyProperties, s.deleteHotelPolicy))

	mux.Handle("GET /api/v1/cancellation_policies", s.reads(keycard.FamilyProperties, s.listCancellationPolicies))
	mux.Handle("POST /api/v1/cancellation_policies", s.writes(keycard.FamilyProperties, s.createCancellationPolicy))
	mux.Handle("GET /api/v1/cancellation_policies/{id}", s.reads(keycard.FamilyProperties, s.getCancellationPolicy))
	mux.Handle("PUT /api/v1/cancellation_policies/{id}", s.writes(keycard.FamilyProperties, s.updateCancellationPolicy))
	mux.Handle("DELETE /api/v1/cancellation_policies/{id}", s.writes(keycard.FamilyProperties, s.deleteCancellationPolicy))

	mux.Handle("GET /api/v1/taxes", s.reads(keycard.FamilyProperties, s.listTaxes))
	mux.Handle("POST /api/v1/taxes", s.writes(keycard.FamilyProperties, s.createTax))
	mux.Handle("GET /api/v1/taxes/{id}", s.reads(keycard.FamilyProperties, s.getTax))
	mux.Handle("PUT /api/v1/taxes/{id}", s.writes(keycard.FamilyProperties, s.updateTax))
	mux.Handle("DELETE /api/v1/taxes/{id}", s.writes(keycard.FamilyProperties, s.deleteTax))

	mux.Handle("GET /api/v1/tax_sets", s.reads(keycard.FamilyProperties, s.listTaxSets))
	mux.Handle("POST /api/v1/tax_sets", s.writes(keycard.FamilyProperties, s.createTaxSet))
	mux.Handle("GET /api/v1/tax_sets/{id}", s.reads(keycard.FamilyProperties, s.getTaxSet))
	mux.Handle("PUT /api/v1/tax_sets/{id}", s.writes(keycard.FamilyProperties, s.updateTaxSet))
	// Channex's documentation writes the update path in the singular.
	mux.Handle("PUT /api/v1/tax_set/{id}", s.writes(keycard.FamilyProperties, s.updateTaxSet))
	mux.Handle("DELETE /api/v1/tax_sets/{id}", s.writes(keycard.FamilyProperties, s.deleteTaxSet))

	mux.Handle("GET /api/v1/property_facilities", s.reads(keycard.FamilyProperties, s.listFacilities(keycard.PropertyFacility)))
	mux.Handle("GET /api/v1/property_facilities/options", s.reads(keycard.FamilyProperties, s.facilityOptions(keycard.PropertyFacility)))
	mux.Handle("GET /api/v1/room_facilities", s.reads(keycard.FamilyProperties, s.listFacilities(keycard.RoomFacility)))
	mux.Handle("GET /api/v1/room_facilities/options", s.reads(keycard.FamilyProperties, s.facilityOptions(keycard.RoomFacility)))
	// The path some clients use: both catalogues, each item with its kind.
	mux.Handle("GET /api/v1/facilities/options", s.reads(keycard.FamilyProperties, s.facilityOptions(keycard.PropertyFacility, keycard.RoomFacility)))

	mux.Handle("GET /api/v1/photos", s.reads(keycard.FamilyProperties, s.listPhotos))
	mux.Handle("POST /api/v1/photos", s.writes(keycard.FamilyProperties, s.createPhoto))
	mux.Handle("POST /api/v1/photos/upload", s.writes(keycard.FamilyProperties, s.uploadPhoto))
	mux.Handle("GET /api/v1/photos/{id}", s.reads(keycard.FamilyProperties, s.getPhoto))
	mux.Handle("PUT /api/v1/photos/{id}", s.writes(keycard.FamilyProperties, s.updatePhoto))
	mux.Handle("DELETE /api/v1/photos/{id}", s.writes(keycard.FamilyProperties, s.deletePhoto))
	mux.Handle("GET /api/v1/photo_files/{name}", s.public(s.servePhotoFile))

	mux.Handle("GET /api/v1/properties/health", s.reads(keycard.FamilyProperties, s.propertiesHealth))
}
