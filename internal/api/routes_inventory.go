package api

import "net/http"

// inventoryRoutes registers the routes of room types, rate plans and
// their availability, rates and restrictions (ARI). Everything here is
// authenticated and reached through the principal's properties; the two
// ARI writes also charge a per-property limit (see ariWrite).
func (s *Server) inventoryRoutes(mux *routeMux, authed func(handlerFunc) http.Handler) {
	mux.Handle("GET /api/v1/room_types", authed(s.listRoomTypes))
	mux.Handle("GET /api/v1/room_types/options", authed(s.roomTypeOptions))
	mux.Handle("POST /api/v1/room_types", authed(s.createRoomType))
	mux.Handle("GET /api/v1/room_types/{id}", authed(s.getRoomType))
	mux.Handle("PUT /api/v1/room_types/{id}", authed(s.updateRoomType))
	mux.Handle("DELETE /api/v1/room_types/{id}", authed(s.deleteRoomType))

	mux.Handle("GET /api/v1/rate_plans", authed(s.listRatePlans))
	mux.Handle("GET /api/v1/rate_plans/options", authed(s.ratePlanOptions))
	mux.Handle("POST /api/v1/rate_plans", authed(s.createRatePlan))
	mux.Handle("GET /api/v1/rate_plans/{id}", authed(s.getRatePlan))
	mux.Handle("PUT /api/v1/rate_plans/{id}", authed(s.updateRatePlan))
	mux.Handle("DELETE /api/v1/rate_plans/{id}", authed(s.deleteRatePlan))

	mux.Handle("GET /api/v1/availability", authed(s.getAvailability))
	mux.Handle("POST /api/v1/availability", authed(s.postAvailability))
	mux.Handle("GET /api/v1/restrictions", authed(s.getRestrictions))
	mux.Handle("POST /api/v1/restrictions", authed(s.postRestrictions))
}
