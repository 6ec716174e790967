package api

import (
	"net/http"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

type sessionAttributes struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresAt    string `json:"expires_at"`
}

type userAttributes struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	SystemRole string `json:"system_role"`
}

func writeSession(w http.ResponseWriter, sess *store.Session) error {
	u := sess.User
	writeJSON(w, http.StatusOK, struct {
		Meta messageMeta `json:"meta"`
		Data resource    `json:"data"`
	}{
		Meta: messageMeta{"You are successfully logged in! Add this token to authorization header to make authorized requests."},
		Data: resource{
			Type:       "session",
			ID:         u.ID,
			Attributes: sessionAttributes{Token: sess.Token, RefreshToken: sess.RefreshToken, ExpiresAt: timestamp(sess.ExpiresAt)},
			Relationships: map[string]any{"user": relation{ref{Type: "user", ID: u.ID,
				Attributes: userAttributes{ID: u.ID, Email: u.Email, Name: u.Name, SystemRole: "user"}}}},
		},
	})
	return nil
}

// signIn is POST /api/v1/sign_in {"user":{"email","password"}}. A wrong
// password and an unknown email get the same 401.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "user")
	if err != nil {
		return err
	}
	var email, password string
	f.str("email", &email)
	f.str("password", &password)
	if email == "" && !f.errs.Has("email") {
		f.errs.Add("email", "can't be blank")
	}
	if password == "" && !f.errs.Has("password") {
		f.errs.Add("password", "can't be blank")
	}
	if err := f.errs.Err(); err != nil {
		return err
	}
	sess, err := s.auth.SignIn(r.Context(), email, password, r.RemoteAddr)
	if err != nil {
		if keycard.ErrorCode(err) == keycard.ERateLimited {
			s.metrics.RateLimited("sign_in")
		}
		return err
	}
	return writeSession(w, sess)
}

// refreshToken is POST /api/v1/refresh_token with the refresh token as
// "Authorization: Bearer": it ends that session and starts a new one.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) error {
	if len(r.Header.Values("Authorization")) > 1 {
		return errTwoAuthorization
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return &keycard.Error{Code: keycard.EUnauthorized}
	}
	sess, err := s.store.Refresh(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return err
	}
	return writeSession(w, sess)
}
