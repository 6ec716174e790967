package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// expiryDays are the expiry choices of the key form, in days.
var expiryDays = []int{30, 90, 365}

// expiryChoice reads the expiry select: "" (never) gives the zero time,
// a number of days a time that far ahead.
func expiryChoice(v string, fe keycard.FieldErrors) *time.Time {
	if v == "" {
		return &time.Time{}
	}
	n, err := strconv.Atoi(v)
	if err != nil || !containsInt(expiryDays, n) {
		fe.Add("expires_at", "choose 30, 90 or 365 days, or never")
		return nil
	}
	at := time.Now().UTC().Add(time.Duration(n) * 24 * time.Hour).Truncate(time.Second)
	return &at
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// splitAllowlist reads the IP allow-list text area: entries separated by
// lines, commas or spaces.
func splitAllowlist(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// allowlistErrors adds the allow-list's message to fe when fe already
// holds another, so that one answer names every wrong field (otherwise
// the store checks it).
func allowlistErrors(text string, fe keycard.FieldErrors) {
	if len(fe) == 0 {
		return
	}
	if _, _, msg := keycard.ParseIPAllowlist(splitAllowlist(text)); msg != "" {
		fe.Add("ip_allowlist", msg)
	}
}

// gracePeriods are the roll form's choices, in seconds, with their labels.
var gracePeriods = []struct {
	Seconds int
	Label   string
}{
	{0, "None: the old key stops now (for a leaked key)"},
	{3600, "1 hour"},
	{86400, "24 hours"},
	{7 * 86400, "7 days"},
}

// rollForm is the roll page's content.
type rollForm struct {
	Key     *keycard.APIKey
	Nonce   string
	Choices any
}

func (s *Server) rollAPIKeyPage(w http.ResponseWriter, r *http.Request) error {
	k, err := s.ownKey(r)
	if err != nil {
		return err
	}
	if k.Status == keycard.KeyWithdrawn {
		return keycard.Errorf(keycard.EInvalid, "a withdrawn key cannot be rolled")
	}
	return s.render(w, r, http.StatusOK, "api_key_roll", page{Title: "Roll API key", Nav: "keys",
		Data: &rollForm{Key: k, Nonce: newNonce(), Choices: gracePeriods}})
}

// rollAPIKey rolls a key and shows its new secret in this response only,
// as the create form does.
func (s *Server) rollAPIKey(w http.ResponseWriter, r *http.Request) error {
	nonce := r.PostForm.Get(nonceField)
	if formAlreadySent(r, nonce) {
		v, _, err := s.keysView(r)
		if err != nil {
			return err
		}
		v.Notice = "This form was already sent: the key was rolled and its new secret shown once. To get another, roll it again."
		return s.renderKeys(w, r, http.StatusOK, v)
	}
	grace, err := strconv.Atoi(r.PostForm.Get("grace_period_seconds"))
	if err != nil || grace < 0 {
		return keycard.Invalid("grace_period_seconds", "choose one of the grace periods offered")
	}
	k, secret, err := s.store.RollAPIKey(r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id"), time.Duration(grace)*time.Second)
	if err != nil {
		return err
	}
	rememberFormSent(w, r, nonce)
	v, _, err := s.keysView(r)
	if err != nil {
		return err
	}
	v.Created = &createdKey{Name: k.Name, Secret: secret}
	v.Rolled = &rolledKey{OldUntil: k.PreviousExpiresAt}
	return s.renderKeys(w, r, http.StatusOK, v)
}
