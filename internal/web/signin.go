package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
)

// signInView is the content of the sign-in page.
type signInView struct {
	Email string
	// Next is where to go once signed in.
	Next string
	// Error is the one message for a wrong email or password: which of the
	// two was wrong is not said.
	Error  string
	Errors keycard.FieldErrors
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, err := s.auth.Session(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
	}
	secret := visitorSecret(w, r)
	return s.render(w, r, http.StatusOK, "sign_in", page{Title: "Sign in", CSRF: csrfToken(secret), Data: signInView{Next: next}})
}

// signIn checks the email and password and starts a session, whose token
// becomes the session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	view := signInView{Email: email, Next: safeNext(r.PostForm.Get("next")), Errors: keycard.FieldErrors{}}
	if email == "" {
		view.Errors.Add("email", "Enter your email address.")
	}
	if password == "" {
		view.Errors.Add("password", "Enter your password.")
	}
	if len(view.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "sign_in", page{Title: "Sign in", Data: view})
	}
	sess, err := s.auth.SignIn(r.Context(), email, password, r.RemoteAddr)
	if err != nil {
		switch keycard.ErrorCode(err) {
		case keycard.EUnauthorized:
			view.Error = "Wrong email or password."
			return s.render(w, r, http.StatusUnauthorized, "sign_in", page{Title: "Sign in", Data: view})
		case keycard.ERateLimited:
			s.metrics.RateLimited("sign_in")
			view.Error = "Too many failed sign-in attempts. Wait a minute, then try again."
			if e, ok := errors.AsType[*keycard.Error](err); ok && auth.AccountPaused(e) {
				// Said as the API says it, with how long to wait.
				view.Error = fmt.Sprint(e.Details) + "."
			}
			return s.render(w, r, http.StatusTooManyRequests, "sign_in", page{Title: "Sign in", Data: view})
		}
		return err
	}
	setCookie(w, r, sessionCookie, sess.Token, sess.ExpiresAt)
	clearCookie(w, r, csrfCookie)
	http.Redirect(w, r, view.Next, http.StatusSeeOther)
	return nil
}

// signOut ends the session on the server, not only in the browser: a
// copied cookie stops working too.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.SignOut(r.Context(), viewerFrom(r).token); err != nil {
		return err
	}
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, pathSignIn, http.StatusSeeOther)
	return nil
}
