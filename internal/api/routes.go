package api

import "net/http"

// routes registers every route of the JSON API. Each route names its
// method, its path and its middleware: public routes take none, the rest
// are authenticated (a session token or an API key), and the API key
// management routes are also gated.
func (s *Server) routes(mux *routeMux) {
	public := s.handle
	authed := func(h handlerFunc) http.Handler { return s.handle(s.authenticate(h)) }
	keyAdmin := func(h handlerFunc) http.Handler { return s.handle(s.authenticate(s.keyGate(h))) }

	mux.Handle("GET /healthz", public(s.healthz))
	mux.Handle("GET /readyz", public(s.readyz))
	mux.Handle("GET /api/v1/openapi.json", public(s.openAPI))

	mux.Handle("POST /api/v1/sign_in", public(s.signIn))
	mux.Handle("POST /api/v1/refresh_token", public(s.refreshToken))

	mux.Handle("GET /api/v1/properties", authed(s.listProperties))
	mux.Handle("GET /api/v1/properties/options", authed(s.propertyOptions))
	mux.Handle("POST /api/v1/properties", authed(s.createProperty))
	mux.Handle("GET /api/v1/properties/{id}", authed(s.getProperty))
	mux.Handle("PUT /api/v1/properties/{id}", authed(s.updateProperty))
	mux.Handle("DELETE /api/v1/properties/{id}", authed(s.deleteProperty))

	mux.Handle("GET /api/v1/groups", authed(s.listGroups))
	mux.Handle("POST /api/v1/groups", authed(s.createGroup))
	mux.Handle("GET /api/v1/groups/{id}", authed(s.getGroup))
	mux.Handle("PUT /api/v1/groups/{id}", authed(s.updateGroup))
	mux.Handle("DELETE /api/v1/groups/{id}", authed(s.deleteGroup))
	mux.Handle("POST /api/v1/groups/{group_id}/properties/{property_id}", authed(s.addGroupProperty))
	mux.Handle("DELETE /api/v1/groups/{group_id}/properties/{property_id}", authed(s.removeGroupProperty))

	for _, m := range []memberRoutes{propertyUserRoutes, groupUserRoutes} {
		mux.Handle("GET /api/v1/"+m.path, authed(s.listMembers(m)))
		mux.Handle("POST /api/v1/"+m.path, authed(s.inviteMember(m)))
		mux.Handle("GET /api/v1/"+m.path+"/{id}", authed(s.getMember(m)))
		mux.Handle("PUT /api/v1/"+m.path+"/{id}", authed(s.updateMember(m)))
		mux.Handle("DELETE /api/v1/"+m.path+"/{id}", authed(s.deleteMember(m)))
	}

	mux.Handle("GET /api/v1/api_keys", keyAdmin(s.listAPIKeys))
	mux.Handle("POST /api/v1/api_keys", keyAdmin(s.createAPIKey))
	mux.Handle("GET /api/v1/api_keys/{id}", keyAdmin(s.getAPIKey))
	mux.Handle("PUT /api/v1/api_keys/{id}", keyAdmin(s.updateAPIKey))
	mux.Handle("POST /api/v1/api_keys/{id}/withdraw", keyAdmin(s.withdrawAPIKey))
	mux.Handle("POST /api/v1/api_keys/{id}/roll", keyAdmin(s.rollAPIKey))
	// Blocking a key from outside is the billing owner's defence: it takes
	// no subscription (the store checks who asks).
	mux.Handle("POST /api/v1/api_keys/{id}/block", authed(s.blockAPIKey(true)))
	mux.Handle("POST /api/v1/api_keys/{id}/unblock", authed(s.blockAPIKey(false)))
	mux.Handle("GET /api/v1/organization", authed(s.getOrganization))
	mux.Handle("PUT /api/v1/organization", authed(s.updateOrganization))
	mux.Handle("GET /api/v1/audit_events", authed(s.listAuditEvents))

	s.inventoryRoutes(mux, authed)
	s.bookingRoutes(mux, authed)
	s.webhookRoutes(mux, authed)
	s.channelRoutes(mux, authed)
	s.setupRoutes(mux, public, authed)
	s.channelInboundRoutes(mux, public, authed)

	// Anything else under the API answers in the envelope, not with the
	// mux's plain-text 404.
	mux.Handle("/api/", public(s.notFound))
}
