package web

import (
	"encoding/json"
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

// activityView is the Activity page: the audit log, of one key or all.
type activityView struct {
	Events []activityRow
	Pager  pager
	// Key is the key whose events are shown; nil for all.
	Key *keycard.APIKey
}

type activityRow struct {
	*keycard.AuditEvent
	What    string
	KeyName string
	Actor   string
	// Said is what the details say, in words; "" shows them as they are.
	Said string
}

const eventsPerPage = 50

// eventWords says what an event is, for people.
var eventWords = map[string]string{
	keycard.AuditCreated:      "Created",
	keycard.AuditChanged:      "Changed",
	keycard.AuditRolled:       "Rolled",
	keycard.AuditWithdrawn:    "Withdrawn",
	keycard.AuditExpired:      "Expired (first refused use)",
	keycard.AuditFirstUsed:    "First used",
	keycard.AuditUseRefused:   "Use refused",
	keycard.AuditSignedIn:     "Signed in",
	keycard.AuditSignInFailed: "Sign-in failed",

	keycard.AuditBlocked:             "Blocked for an organisation's properties",
	keycard.AuditUnblocked:           "Unblocked for an organisation's properties",
	keycard.AuditOrganizationChanged: "Organisation settings changed",

	keycard.AuditWebhookCreated: "Webhook created",
	keycard.AuditWebhookChanged: "Webhook changed",
	keycard.AuditWebhookPaused:  "Webhook paused (its maker lost access)",
	keycard.AuditWebhookDeleted: "Webhook deleted",
}

func (s *Server) activityPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), keycard.PrincipalFrom(r.Context())
	n := pageNumber(r)
	q := keycard.ListQuery{Page: n, Limit: eventsPerPage}
	v := &activityView{}
	base := pathActivity
	if id := r.URL.Query().Get("key"); id != "" {
		k, err := s.store.APIKey(ctx, p, id)
		if err != nil {
			return err
		}
		v.Key = k
		q.Filters = []keycard.Filter{{Field: "api_key_id", Op: keycard.OpEq, Values: []string{k.ID}}}
		base += "?key=" + k.ID
	}
	events, total, err := s.store.ListAuditEvents(ctx, p, q)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if v.Key != nil {
		names[v.Key.ID] = v.Key.Name
	} else {
		keys, _, err := s.store.ListAPIKeys(ctx, p, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit})
		if err != nil {
			return err
		}
		for _, k := range keys {
			names[k.ID] = k.Name
		}
	}
	say, err := s.eventSayer(r)
	if err != nil {
		return err
	}
	for _, e := range events {
		row := activityRow{AuditEvent: e, What: eventWords[e.Event], KeyName: names[e.APIKeyID], Said: say(e)}
		if row.What == "" {
			row.What = e.Event
		}
		switch {
		case e.ActorType == keycard.ActorKeycard:
			row.Actor = "keycard"
		case e.ActorType == keycard.ActorAPIKey && e.ActorID == e.APIKeyID:
			row.Actor = "the key itself"
		case e.ActorType == keycard.ActorAPIKey:
			row.Actor = "another key"
		case e.ActorID == p.UserID:
			row.Actor = "you"
		default:
			row.Actor = "another user"
		}
		v.Events = append(v.Events, row)
	}
	v.Pager = newPager(base, n, total, eventsPerPage)
	return s.render(w, r, http.StatusOK, "api_key_activity", page{Title: "Activity", Nav: "keys", Data: v})
}

// pausedWords says why keycard paused a webhook.
var pausedWords = map[string]string{
	keycard.WebhookPausedKeyWithdrawn: "its key was withdrawn",
	keycard.WebhookPausedKeyExpired:   "its key expired",
	keycard.WebhookPausedNoAccess:     "its maker lost access to the property",
}

// eventSayer returns a function that puts the details of the events of
// keys from outside, organisation settings and webhooks into words, with
// the names of the organisations and properties they give by id. It
// returns "" for the other events, and for details it does not know.
func (s *Server) eventSayer(r *http.Request) (func(*keycard.AuditEvent) string, error) {
	ctx, p := r.Context(), keycard.PrincipalFrom(r.Context())
	options, err := s.store.PropertyOptions(ctx, p)
	if err != nil {
		return nil, err
	}
	titles := make(map[string]string, len(options))
	for _, o := range options {
		titles[o.ID] = o.Title
	}
	orgs := map[string]string{}
	orgName := func(id string) string {
		if name, ok := orgs[id]; ok {
			return name
		}
		name := "another organisation"
		if o, err := s.store.Organization(ctx, id); err == nil {
			name = o.Name
		}
		orgs[id] = name
		return name
	}
	onOff := func(v any) string {
		if b, _ := v.(bool); b {
			return "on"
		}
		return "off"
	}
	return func(e *keycard.AuditEvent) string {
		var d map[string]any
		if json.Unmarshal(e.Details, &d) != nil {
			return ""
		}
		switch e.Event {
		case keycard.AuditBlocked, keycard.AuditUnblocked:
			org, _ := d["organization_id"].(string)
			if org == "" {
				return ""
			}
			if org == p.OrganizationID {
				return "For your organisation's properties"
			}
			return "By " + orgName(org) + ", for its properties"
		case keycard.AuditOrganizationChanged:
			c, ok := d["allow_external_keys"].(map[string]any)
			if !ok || len(d) != 1 {
				return ""
			}
			return "Allow keys from other organisations: " + onOff(c["from"]) + " → " + onOff(c["to"])
		case keycard.AuditWebhookCreated, keycard.AuditWebhookChanged, keycard.AuditWebhookPaused, keycard.AuditWebhookDeleted:
			id, _ := d["webhook_id"].(string)
			if id == "" {
				return ""
			}
			out := "Webhook " + id + " for "
			switch prop, _ := d["property_id"].(string); {
			case prop == "":
				out += "all properties"
			case titles[prop] != "":
				out += titles[prop]
			default:
				out += "a property you do not reach"
			}
			if changed, ok := d["changed"].([]any); ok && len(changed) > 0 {
				var fields []string
				for _, c := range changed {
					if f, ok := c.(string); ok {
						fields = append(fields, strings.ReplaceAll(f, "_", " "))
					}
				}
				out += "; changed: " + strings.Join(fields, ", ")
			}
			if reason, ok := d["reason"].(string); ok {
				why := pausedWords[reason]
				if why == "" {
					why = reason
				}
				out += "; " + why
			}
			return out
		}
		return ""
	}, nil
}
