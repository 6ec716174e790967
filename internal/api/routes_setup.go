package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// setupRoutes registers the routes of the rest of a property's set-up:
// hotel policies, cancellation policies, taxes and tax sets, the facilities catalogue, photos and
// the property health check. Everything is authenticated and reached
// through the principal's properties, except uploaded photo files, which
// are served to anyone holding their (unguessable) URL, as OTAs fetch them.
func (s *Server) setupRoutes(mux *routeMux, public func(handlerFunc) http.Handler, authed func(handlerFunc) http.Handler) {
	mux.Handle("GET /api/v1/hotel_policies", authed(s.listHotelPolicies))
	mux.Handle("POST /api/v1/hotel_policies", authed(s.createHotelPolicy))
	mux.Handle("GET /api/v1/hotel_policies/{id}", authed(s.getHotelPolicy))
	mux.Handle("PUT /api/v1/hotel_policies/{id}", authed(s.updateHotelPolicy))
	mux.Handle("DELETE /api/v1/hotel_policies/{id}", authed(s.deleteHotelPolicy))

	mux.Handle("GET /api/v1/cancellation_policies", authed(s.listCancellationPolicies))
	mux.Handle("POST /api/v1/cancellation_policies", authed(s.createCancellationPolicy))
	mux.Handle("GET /api/v1/cancellation_policies/{id}", authed(s.getCancellationPolicy))
	mux.Handle("PUT /api/v1/cancellation_policies/{id}", authed(s.updateCancellationPolicy))
	mux.Handle("DELETE /api/v1/cancellation_policies/{id}", authed(s.deleteCancellationPolicy))

	mux.Handle("GET /api/v1/taxes", authed(s.listTaxes))
	mux.Handle("POST /api/v1/taxes", authed(s.createTax))
	mux.Handle("GET /api/v1/taxes/{id}", authed(s.getTax))
	mux.Handle("PUT /api/v1/taxes/{id}", authed(s.updateTax))
	mux.Handle("DELETE /api/v1/taxes/{id}", authed(s.deleteTax))

	mux.Handle("GET /api/v1/tax_sets", authed(s.listTaxSets))
	mux.Handle("POST /api/v1/tax_sets", authed(s.createTaxSet))
	mux.Handle("GET /api/v1/tax_sets/{id}", authed(s.getTaxSet))
	mux.Handle("PUT /api/v1/tax_sets/{id}", authed(s.updateTaxSet))
	// Channex's documentation writes the update path in the singular.
	mux.Handle("PUT /api/v1/tax_set/{id}", authed(s.updateTaxSet))
	mux.Handle("DELETE /api/v1/tax_sets/{id}", authed(s.deleteTaxSet))

	mux.Handle("GET /api/v1/property_facilities", authed(s.listFacilities(keycard.PropertyFacility)))
	mux.Handle("GET /api/v1/property_facilities/options", authed(s.facilityOptions(keycard.PropertyFacility)))
	mux.Handle("GET /api/v1/room_facilities", authed(s.listFacilities(keycard.RoomFacility)))
	mux.Handle("GET /api/v1/room_facilities/options", authed(s.facilityOptions(keycard.RoomFacility)))
	// The path some clients use: both catalogues, each item with its kind.
	mux.Handle("GET /api/v1/facilities/options", authed(s.facilityOptions(keycard.PropertyFacility, keycard.RoomFacility)))

	mux.Handle("GET /api/v1/photos", authed(s.listPhotos))
	mux.Handle("POST /api/v1/photos", authed(s.createPhoto))
	mux.Handle("POST /api/v1/photos/upload", authed(s.uploadPhoto))
	mux.Handle("GET /api/v1/photos/{id}", authed(s.getPhoto))
	mux.Handle("PUT /api/v1/photos/{id}", authed(s.updatePhoto))
	mux.Handle("DELETE /api/v1/photos/{id}", authed(s.deletePhoto))
	mux.Handle("GET /api/v1/photo_files/{name}", public(s.servePhotoFile))

	mux.Handle("GET /api/v1/properties/health", authed(s.propertiesHealth))
}
