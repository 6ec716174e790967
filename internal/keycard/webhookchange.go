package keycard

import (
	"maps"
	"strings"
)

// WebhookChange is a webhook as a client sends it (a new one, a test, or
// a change to one), decoded into types but not yet judged: a nil pointer,
// or a false ...Sent, is a member the body did not have. Webhook.Apply
// holds the rules.
type WebhookChange struct {
	// PropertyID is nil when sent as null: every property the maker
	// reaches.
	PropertyIDSent bool
	PropertyID     *string
	// CallbackURL and EventMask read JSON null as "".
	CallbackURL, EventMask *string
	// RequestParams and Headers replace the webhook's when sent (null:
	// none); a value sent as MaskedValue keeps the stored one.
	RequestParamsSent bool
	RequestParams     map[string]string
	HeadersSent       bool
	Headers           map[string]string
	IsActive          *bool
	SendData          *bool
}

// NewCallbackURL returns the callback URL c sets, as Apply writes it, and
// reports whether c sets one: where it points is checked before the
// change is applied, since that may take a DNS lookup.
func (c *WebhookChange) NewCallbackURL() (string, bool) {
	if c.CallbackURL == nil {
		return "", false
	}
	return strings.TrimSpace(*c.CallbackURL), true
}

// Apply writes c onto w, settles its secrets (see KeepSecrets) and judges
// the webhook as a whole. errs holds what went wrong decoding the request
// (the rules skip those fields); Apply adds what breaks a rule, and
// returns errs. A new webhook starts empty.
func (w *Webhook) Apply(c *WebhookChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	before := *w // the maps of w are replaced below, never edited
	if c.PropertyIDSent {
		w.PropertyID = ""
		if c.PropertyID != nil {
			w.PropertyID = strings.ToLower(strings.TrimSpace(*c.PropertyID))
			if !ValidID(w.PropertyID) {
				errs.Add("property_id", "is not a valid id")
			}
		}
	}
	if u, ok := c.NewCallbackURL(); ok {
		w.CallbackURL = u
	}
	trimSent(&w.EventMask, c.EventMask)
	for _, m := range []struct {
		sent bool
		v    map[string]string
		dst  *map[string]string
	}{{c.RequestParamsSent, c.RequestParams, &w.RequestParams}, {c.HeadersSent, c.Headers, &w.Headers}} {
		if m.sent {
			// A copy: KeepSecrets writes the stored values into it.
			*m.dst = maps.Clone(m.v)
			if *m.dst == nil {
				*m.dst = map[string]string{}
			}
		}
	}
	setSent(&w.IsActive, c.IsActive)
	setSent(&w.SendData, c.SendData)
	for field, msgs := range w.KeepSecrets(&before, c.HeadersSent, c.RequestParamsSent) {
		if !errs.Has(field) {
			errs[field] = msgs
		}
	}
	return errs.addValidation(w.Validate(errs))
}
