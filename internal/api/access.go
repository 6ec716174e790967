package api

import (
	"context"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// routeAccess is what a route declares about who may use it: nobody needs
// to be signed in (public), anyone signed in or holding a key whose
// handler decides what a key may do (account: the user's own settings,
// which no key may change), or a level in a resource family that an API
// key's permissions must grant.
type routeAccess struct {
	kind accessKind
	need keycard.Need // for accessFamily
}

type accessKind int

const (
	accessPublic accessKind = iota + 1
	accessAccount
	accessFamily
)

// route is a handler with its declared access; the route table records
// the declaration (see routeMux.Handle).
type route struct {
	http.Handler
	access routeAccess
}

// public declares a route that takes no credential.
func (s *Server) public(h handlerFunc) http.Handler {
	return route{s.handle(h), routeAccess{kind: accessPublic}}
}

// account declares an authenticated route about the user's account
// rather than a property's data (API keys, the organisation, the audit
// log). It is in no family: each handler refuses keys itself where a key
// must not act.
func (s *Server) account(h handlerFunc) http.Handler {
	return route{s.handle(s.authenticate(nil, h)), routeAccess{kind: accessAccount}}
}

// reads declares an authenticated route that reads family f: a key needs
// read (or write) there.
func (s *Server) reads(f keycard.Family, h handlerFunc) http.Handler {
	return s.needs(keycard.Needs(keycard.LevelRead, f), h)
}

// writes declares an authenticated route that changes family f: a key
// needs write there.
func (s *Server) writes(f keycard.Family, h handlerFunc) http.Handler {
	return s.needs(keycard.Needs(keycard.LevelWrite, f), h)
}

// needs declares an authenticated route that asks need of a key.
func (s *Server) needs(need keycard.Need, h handlerFunc) http.Handler {
	return route{s.handle(s.authenticate(&need, h)), routeAccess{kind: accessFamily, need: need}}
}

// undeclared marks a request to a route registered without a declared
// access: authenticate refuses every API key there (a route must say what
// it reads or writes before a key may use it), and the route table test
// fails.
type undeclared struct{ http.Handler }

type undeclaredKey struct{}

func (u undeclared) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.Handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), undeclaredKey{}, true)))
}

var errUndeclared = keycard.Errorf(keycard.EForbidden, "this route declares no permission family, so no API key may use it")

// allow checks p against the route's need (nil for account routes), and
// records a key's refusal in the audit log.
func (s *Server) allow(r *http.Request, p *keycard.Principal, need *keycard.Need) error {
	if !p.ViaAPIKey() {
		return nil
	}
	if r.Context().Value(undeclaredKey{}) != nil {
		return errUndeclared
	}
	if need == nil {
		return nil
	}
	err := p.Allow(*need)
	if err != nil {
		reason := keycard.RefusedPermission
		if need.Level == keycard.LevelWrite && !p.Permissions.Writes() {
			reason = keycard.RefusedReadOnly
		}
		s.auth.RecordRefusal(r.Context(), p, reason)
	}
	return err
}
