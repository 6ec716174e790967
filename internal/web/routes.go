package web

import "net/http"

// Paths linked to from more than one place.
const (
	pathSignIn     = "/sign_in"
	pathAPIKeys    = "/organization/api-keys"
	pathActivity   = "/organization/api-keys/activity"
	pathProperties = "/properties"
	pathChannels   = "/organization/channels"
)

// routes registers every route of the UI. Each route names its method, its
// path and its middleware: public pages take none; the rest need a
// signed-in user; every POST checks its form's CSRF token; and the API key
// routes are also gated (billing owner and active subscription, in
// production mode).
func (s *Server) routes(mux *http.ServeMux) {
	public := s.handle
	publicForm := func(h handlerFunc) http.Handler { return s.handle(s.checkForm(h)) }
	user := func(h handlerFunc) http.Handler { return s.handle(s.signedIn(h)) }
	userForm := func(h handlerFunc) http.Handler { return s.handle(s.signedIn(s.checkForm(h))) }
	keys := func(h handlerFunc) http.Handler { return s.handle(s.signedIn(s.keyGate(h))) }
	keysForm := func(h handlerFunc) http.Handler { return s.handle(s.signedIn(s.checkForm(s.keyGate(h)))) }

	mux.Handle("GET /{$}", public(s.home))
	mux.Handle("GET /static/{name}", public(s.serveStatic))

	mux.Handle("GET /sign_in", public(s.signInPage))
	mux.Handle("POST /sign_in", publicForm(s.signIn))
	mux.Handle("POST /sign_out", userForm(s.signOut))

	mux.Handle("GET /organization/api-keys", keys(s.apiKeysPage))
	mux.Handle("GET /organization/api-keys/new", keys(s.newAPIKeyPage))
	mux.Handle("POST /organization/api-keys", keysForm(s.createAPIKey))
	mux.Handle("GET /organization/api-keys/{id}/edit", keys(s.editAPIKeyPage))
	mux.Handle("POST /organization/api-keys/{id}/edit", keysForm(s.updateAPIKey))
	mux.Handle("GET /organization/api-keys/{id}/withdraw", keys(s.withdrawAPIKeyPage))
	mux.Handle("POST /organization/api-keys/{id}/withdraw", keysForm(s.withdrawAPIKey))
	mux.Handle("GET /organization/api-keys/{id}/roll", keys(s.rollAPIKeyPage))
	mux.Handle("POST /organization/api-keys/{id}/roll", keysForm(s.rollAPIKey))
	mux.Handle("GET /organization/api-keys/activity", keys(s.activityPage))
	mux.Handle("GET /organization/api-keys/{id}", keys(s.keyDetailPage))
	mux.Handle("POST /organization/api-keys/{id}/dismiss-leak", keysForm(s.dismissLeak))
	mux.Handle("GET /organization/api-keys/{id}/block", keys(s.blockAPIKeyPage(true)))
	mux.Handle("POST /organization/api-keys/{id}/block", keysForm(s.blockAPIKey(true)))
	mux.Handle("GET /organization/api-keys/{id}/unblock", keys(s.blockAPIKeyPage(false)))
	mux.Handle("POST /organization/api-keys/{id}/unblock", keysForm(s.blockAPIKey(false)))
	// The organisation's settings are not key management: no key gate.
	mux.Handle("POST /organization/settings", userForm(s.saveOrgSettings))

	mux.Handle("GET /properties", user(s.propertiesPage))

	// Channels are reached through the user's properties, as in the API.
	mux.Handle("GET /organization/channels", user(s.channelsPage))
	mux.Handle("POST /organization/channels", userForm(s.createChannel))
	mux.Handle("GET /organization/channels/{id}", user(s.channelPage))
	mux.Handle("POST /organization/channels/{id}/mapping", userForm(s.saveChannelMapping))
	mux.Handle("POST /organization/channels/{id}/resolve/{event}", userForm(s.resolveChannelEvent))
	mux.Handle("POST /organization/channels/{id}/{action}", userForm(s.channelAction))

	// Anything else is an HTML 404, not the mux's plain text.
	mux.Handle("/", public(s.notFound))
}
