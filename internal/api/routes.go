package api

import "github.com/keycard/keycard/internal/keycard"

// routes registers every route of the JSON API. Each route names its
// method, its path and what it needs: public routes take no credential;
// account routes (keys, the organisation, the audit log) are
// authenticated and decide themselves what a key may do; every other
// route reads or writes one resource family, which an API key's
// permissions must grant (keycard.Families). A route registered any other
// way refuses every key, and the route table test fails.
func (s *Server) routes(mux *routeMux) {
	// API key management is also gated (production mode: the billing owner
	// with an active subscription; never a key).
	keyAdmin := func(h handlerFunc) handlerFunc { return s.keyGate(h) }
	properties := keycard.FamilyProperties

	mux.Handle("GET /healthz", s.public(s.healthz))
	mux.Handle("GET /readyz", s.public(s.readyz))
	mux.Handle("GET /api/v1/openapi.json", s.public(s.openAPI))

	mux.Handle("POST /api/v1/sign_in", s.public(s.signIn))
	mux.Handle("POST /api/v1/refresh_token", s.public(s.refreshToken))
	// Signed by the secret scanner (checked by the handler), not by a
	// user; 404 unless --secret-scanning-keys is set.
	mux.Handle("POST /api/v1/secret_scanning/report", s.public(s.secretScanningReport))

	mux.Handle("GET /api/v1/properties", s.reads(properties, s.listProperties))
	mux.Handle("GET /api/v1/properties/options", s.reads(properties, s.propertyOptions))
	mux.Handle("POST /api/v1/properties", s.writes(properties, s.createProperty))
	mux.Handle("GET /api/v1/properties/{id}", s.reads(properties, s.getProperty))
	mux.Handle("PUT /api/v1/properties/{id}", s.writes(properties, s.updateProperty))
	mux.Handle("DELETE /api/v1/properties/{id}", s.writes(properties, s.deleteProperty))

	// Groups are part of setting properties up.
	mux.Handle("GET /api/v1/groups", s.reads(properties, s.listGroups))
	mux.Handle("POST /api/v1/groups", s.writes(properties, s.createGroup))
	mux.Handle("GET /api/v1/groups/{id}", s.reads(properties, s.getGroup))
	mux.Handle("PUT /api/v1/groups/{id}", s.writes(properties, s.updateGroup))
	mux.Handle("DELETE /api/v1/groups/{id}", s.writes(properties, s.deleteGroup))
	mux.Handle("POST /api/v1/groups/{group_id}/properties/{property_id}", s.writes(properties, s.addGroupProperty))
	mux.Handle("DELETE /api/v1/groups/{group_id}/properties/{property_id}", s.writes(properties, s.removeGroupProperty))

	// Property and group users: a key may list them; no key may change
	// them (keycard.CanManageAccess), whatever its permissions.
	for _, m := range []memberRoutes{propertyUserRoutes, groupUserRoutes} {
		mux.Handle("GET /api/v1/"+m.path, s.reads(properties, s.listMembers(m)))
		mux.Handle("POST /api/v1/"+m.path, s.writes(properties, s.inviteMember(m)))
		mux.Handle("GET /api/v1/"+m.path+"/{id}", s.reads(properties, s.getMember(m)))
		mux.Handle("PUT /api/v1/"+m.path+"/{id}", s.writes(properties, s.updateMember(m)))
		mux.Handle("DELETE /api/v1/"+m.path+"/{id}", s.writes(properties, s.deleteMember(m)))
	}

	mux.Handle("GET /api/v1/api_keys", s.account(keyAdmin(s.listAPIKeys)))
	mux.Handle("POST /api/v1/api_keys", s.account(keyAdmin(s.createAPIKey)))
	mux.Handle("GET /api/v1/api_keys/{id}", s.account(keyAdmin(s.getAPIKey)))
	mux.Handle("PUT /api/v1/api_keys/{id}", s.account(keyAdmin(s.updateAPIKey)))
	mux.Handle("POST /api/v1/api_keys/{id}/withdraw", s.account(keyAdmin(s.withdrawAPIKey)))
	mux.Handle("POST /api/v1/api_keys/{id}/roll", s.account(keyAdmin(s.rollAPIKey)))
	mux.Handle("GET /api/v1/api_keys/{id}/usage", s.account(keyAdmin(s.keyUsage)))
	mux.Handle("POST /api/v1/api_keys/leaks", s.account(keyAdmin(s.reportLeakedKeys)))
	// Blocking a key from outside is the billing owner's defence: it takes
	// no subscription (the store checks who asks, and refuses keys).
	mux.Handle("POST /api/v1/api_keys/{id}/block", s.account(s.blockAPIKey(true)))
	mux.Handle("POST /api/v1/api_keys/{id}/unblock", s.account(s.blockAPIKey(false)))
	// A key may read its own organisation's name and status; only the
	// signed-in owner may change it (the store refuses keys).
	mux.Handle("GET /api/v1/organization", s.account(s.getOrganization))
	mux.Handle("PUT /api/v1/organization", s.account(s.updateOrganization))
	mux.Handle("GET /api/v1/audit_events", s.account(s.listAuditEvents))

	s.inventoryRoutes(mux)
	s.bookingRoutes(mux)
	s.webhookRoutes(mux)
	s.channelRoutes(mux)
	s.setupRoutes(mux)
	s.channelInboundRoutes(mux)

	// Anything else under the API answers in the envelope, not with the
	// mux's plain-text 404.
	mux.Handle("/api/", s.public(s.notFound))
}
