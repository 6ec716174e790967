package api

import "github.com/keycard/keycard/internal/keycard"

// inventoryRoutes registers the routes of room types, rate plans and
// their availability, rates and restrictions (ARI). Everything here is
// authenticated and reached through the principal's properties; the two
// ARI writes also charge a per-property limit (see ariWrite).
func (s *Server) inventoryRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/room_types", s.reads(keycard.FamilyInventory, s.listRoomTypes))
	mux.Handle("GET /api/v1/room_types/options", s.reads(keycard.FamilyInventory, s.roomTypeOptions))
	mux.Handle("POST /api/v1/room_types", s.writes(keycard.FamilyInventory, s.createRoomType))
	mux.Handle("GET /api/v1/room_types/{id}", s.reads(keycard.FamilyInventory, s.getRoomType))
	mux.Handle("PUT /api/v1/room_types/{id}", s.writes(keycard.FamilyInventory, s.updateRoomType))
	mux.Handle("DELETE /api/v1/room_types/{id}", s.writes(keycard.FamilyInventory, s.deleteRoomType))

	mux.Handle("GET /api/v1/rate_plans", s.reads(keycard.FamilyInventory, s.listRatePlans))
	mux.Handle("GET /api/v1/rate_plans/options", s.reads(keycard.FamilyInventory, s.ratePlanOptions))
	mux.Handle("POST /api/v1/rate_plans", s.writes(keycard.FamilyInventory, s.createRatePlan))
	mux.Handle("GET /api/v1/rate_plans/{id}", s.reads(keycard.FamilyInventory, s.getRatePlan))
	mux.Handle("PUT /api/v1/rate_plans/{id}", s.writes(keycard.FamilyInventory, s.updateRatePlan))
	mux.Handle("DELETE /api/v1/rate_plans/{id}", s.writes(keycard.FamilyInventory, s.deleteRatePlan))

	mux.Handle("GET /api/v1/availability", s.reads(keycard.FamilyAvailability, s.getAvailability))
	mux.Handle("POST /api/v1/availability", s.writes(keycard.FamilyAvailability, s.postAvailability))
	mux.Handle("GET /api/v1/restrictions", s.reads(keycard.FamilyRestrictions, s.getRestrictions))
	mux.Handle("POST /api/v1/restrictions", s.writes(keycard.FamilyRestrictions, s.postRestrictions))
}
