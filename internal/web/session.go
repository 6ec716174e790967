package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
)

// Cookie and form field names.
const (
	// sessionCookie holds the session token itself: the server keeps only
	// its hash, so the cookie is the one place it lives.
	sessionCookie = "keycard_session"
	// csrfCookie holds a random secret for the forms of a visitor who is
	// not signed in yet (the sign-in form).
	csrfCookie = "keycard_csrf"
	csrfField  = "csrf_token"
)

// errForgery answers a form post without a valid CSRF token: sent from
// another site, or from a page older than the session.
var errForgery = keycard.Errorf(keycard.EForbidden,
	"This form was not sent from a current keycard page, so nothing was changed. Go back, reload the page and try again.")

// viewer is the signed-in user of a request.
type viewer struct {
	principal *keycard.Principal
	// token is the session token, the secret the user's CSRF tokens are
	// derived from.
	token string
}

type viewerKey struct{}

// viewerFrom returns the signed-in user of the request, or nil.
func viewerFrom(r *http.Request) *viewer {
	v, _ := r.Context().Value(viewerKey{}).(*viewer)
	return v
}

// signedIn lets through requests with a valid session cookie, with the
// user's principal in their context; the others go to the sign-in page.
// The principal is read through the authenticator's cache, which a
// subscription change invalidates: the gate sees the change on the next
// request.
func (s *Server) signedIn(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			return toSignIn(w, r)
		}
		p, err := s.auth.Session(r.Context(), c.Value)
		if err != nil {
			if keycard.ErrorCode(err) == keycard.EUnauthorized {
				clearCookie(w, r, sessionCookie)
				return toSignIn(w, r)
			}
			return err
		}
		handler.AddLogAttrs(w, slog.String("principal", "session"), slog.String("user_id", p.UserID))
		ctx := context.WithValue(r.Context(), viewerKey{}, &viewer{principal: p, token: c.Value})
		return h(w, r.WithContext(keycard.WithPrincipal(ctx, p)))
	}
}

// toSignIn sends the browser to the sign-in page, which comes back to a
// page that was asked for.
func toSignIn(w http.ResponseWriter, r *http.Request) error {
	target := pathSignIn
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// safeNext returns next when it is a path on this site, else the API keys
// page: the sign-in form must not become an open redirect.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return pathAPIKeys
	}
	return next
}

// checkForm parses a form post and refuses it unless it comes from this
// site and carries the CSRF token of the visitor's session (or, before
// sign-in, of the visitor's CSRF cookie).
func (s *Server) checkForm(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.origin.Check(r); err != nil {
			return errForgery
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return err
			}
			return keycard.Errorf(keycard.EBadRequest, "The form could not be read. Go back and try again.")
		}
		secret := formSecret(r)
		if secret == "" || !hmac.Equal([]byte(csrfToken(secret)), []byte(r.PostForm.Get(csrfField))) {
			return errForgery
		}
		return h(w, r)
	}
}

// formSecret returns the secret the request's CSRF token derives from: the
// session token of a signed-in user, else the CSRF cookie, else "".
func formSecret(r *http.Request) string {
	if v := viewerFrom(r); v != nil {
		return v.token
	}
	if c, err := r.Cookie(csrfCookie); err == nil && validSecret(c.Value) {
		return c.Value
	}
	return ""
}

// csrfToken derives a form's CSRF token from a secret the browser holds in
// an HttpOnly cookie. Another site can make the browser send the cookie but
// can neither read it nor compute the token; and since the token is
// derived, not stored, every server accepts it.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("keycard web form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

const secretBytes = 32

func validSecret(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == secretBytes
}

// visitorSecret returns the CSRF cookie's secret, setting a new cookie when
// the browser has none.
func visitorSecret(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && validSecret(c.Value) {
		return c.Value
	}
	b := make([]byte, secretBytes)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	setCookie(w, r, csrfCookie, secret, time.Time{})
	return secret
}

// secureKey marks, in a request's context, that the site is served over
// HTTPS by a proxy in front of keycard (see Server.SetSecureCookies).
type secureKey struct{}

// secure reports whether cookies set in answer to r must be Secure: the
// request came over TLS, or the operator says TLS ends at a proxy.
func secure(r *http.Request) bool { return r.TLS != nil || r.Context().Value(secureKey{}) != nil }

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure when the site is served over HTTPS. A zero expiry makes it last
// as long as the browser session.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)}
	if !expires.IsZero() {
		c.Expires = expires
		c.MaxAge = max(1, int(time.Until(expires).Seconds()))
	}
	http.SetCookie(w, c)
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r)})
}

// nonceField and sentCookie make a create form work once: the form carries
// a random nonce, and a successful create leaves it in a cookie, so the
// same form sent again (a reload of the answer) is recognised.
const (
	nonceField = "form_nonce"
	sentCookie = "keycard_form_sent"
)

// newNonce returns a random form nonce.
func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// formAlreadySent reports whether the form with this nonce was already
// sent successfully from this browser.
func formAlreadySent(r *http.Request, nonce string) bool {
	if nonce == "" {
		return false
	}
	c, err := r.Cookie(sentCookie)
	return err == nil && hmac.Equal([]byte(c.Value), []byte(nonce))
}

// rememberFormSent records that the form with this nonce made its key.
func rememberFormSent(w http.ResponseWriter, r *http.Request, nonce string) {
	if nonce != "" {
		setCookie(w, r, sentCookie, nonce, time.Now().Add(time.Hour))
	}
}
