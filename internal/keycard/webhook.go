package keycard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook events keycard delivers.
const (
	EventARI                 = "ari"
	EventBooking             = "booking"
	EventBookingNew          = "booking_new"
	EventBookingModification = "booking_modification"
	EventBookingCancellation = "booking_cancellation"
	EventBookingUnmappedRoom = "booking_unmapped_room"
	EventBookingUnmappedRate = "booking_unmapped_rate"
	EventNonAckedBooking     = "non_acked_booking"
	// EventTest is the event of POST /webhooks/test.
	EventTest = "test"
)

// webhookEvents are the event names an event_mask may name: those of the
// reference, including the ones keycard has no source for yet (a mask
// written for Channex must be accepted as it is).
var webhookEvents = setOf(
	EventARI, EventBooking, EventBookingNew, EventBookingModification, EventBookingCancellation,
	EventBookingUnmappedRoom, EventBookingUnmappedRate, EventNonAckedBooking, EventAPIKeyLeaked,
	"message", "sync_error", "sync_warning", "rate_error", "reservation_request", "alteration_request",
	"accepted_reservation", "declined_reservation", "inquiry", "review", "updated_review",
	"new_channel", "updated_channel", "disconnected_channel", "disconnect_listing",
)

// ARIFieldAvailability is the name of room type availability in an ari
// mask and payload; the others are the RestrictionFields names.
const ARIFieldAvailability = "availability"

// Webhook limits.
const (
	MaxWebhookURLLength = 2048
	MaxWebhookHeaders   = 20
	MaxWebhookParams    = 20
	MaxWebhookValue     = 1024
	// MaxWebhookTries is how many times a delivery is tried before it is
	// marked failed.
	MaxWebhookTries = 8
	// WebhookLogRetention is how long deliveries are kept.
	WebhookLogRetention = 7 * 24 * time.Hour
)

// Webhook is a subscription to events: for one property, or (PropertyID
// empty) for every property its user reaches.
type Webhook struct {
	ID         string
	PropertyID string
	// UserID is the user who made it (or who last re-enabled it after a
	// pause); an all-properties webhook follows that user's reach.
	UserID string
	// APIKeyID is the key that made it, "" when a signed-in user did. The
	// webhook delivers only while that key is live and reaches the
	// property.
	APIKeyID      string
	CallbackURL   string
	EventMask     string
	RequestParams map[string]string
	Headers       map[string]string
	IsActive      bool
	SendData      bool
	// PausedReason says why keycard paused the webhook (one of the
	// WebhookPaused constants), "" when it did not.
	PausedReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Why keycard pauses a webhook: its maker can no longer read what it
// would deliver. A paused webhook resumes only when a user who reaches
// its property re-enables it, and that user becomes its maker.
const (
	WebhookPausedKeyWithdrawn = "api_key_withdrawn"
	WebhookPausedKeyExpired   = "api_key_expired"
	WebhookPausedNoAccess     = "maker_lost_access"
)

// MaskedValue stands in an answer for the value of a webhook's custom
// header or request parameter, which may be a credential and is never
// answered in clear. A value sent as MaskedValue in an update keeps the
// stored one.
const MaskedValue = "***"

// KeepSecrets settles the custom headers and request parameters of a
// change from before to w, in which each was sent or not: a value sent as
// MaskedValue keeps the stored one (a client may send back what it read),
// and a webhook that carries entries (credentials, often) and gets a new
// callback URL must have them sent again in clear, so that whoever may
// re-point a webhook cannot carry someone else's credentials to their own
// address.
func (w *Webhook) KeepSecrets(before *Webhook, sentHeaders, sentParams bool) FieldErrors {
	fe := FieldErrors{}
	for _, e := range []struct {
		name          string
		before, after map[string]string
		sent          bool
	}{
		{"headers", before.Headers, w.Headers, sentHeaders},
		{"request_params", before.RequestParams, w.RequestParams, sentParams},
	} {
		masked := false
		for k, v := range e.after {
			if old, ok := e.before[k]; ok && v == MaskedValue && e.sent {
				e.after[k], masked = old, true
			}
		}
		if w.CallbackURL != before.CallbackURL && len(e.before) > 0 && (!e.sent || masked) {
			fe.Add(e.name, "must be sent again, in clear, when callback_url changes")
		}
	}
	return fe
}

// reservedHeaders are request headers a webhook may not set: the
// transport's own and keycard's signature.
var reservedHeaders = setOf("Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Te", "Trailer",
	"Upgrade", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "X-Keycard-Signature", "X-Keycard-Event", "X-Keycard-Delivery")

// Validate checks the webhook's fields, leaving out those in skip (they
// failed to decode).
func (w *Webhook) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	c.check("callback_url", CheckCallbackURL(w.CallbackURL))
	if _, msg := ParseEventMask(w.EventMask); msg != "" {
		c.check("event_mask", msg)
	}
	if len(w.Headers) > MaxWebhookHeaders {
		c.check("headers", "must have at most 20 entries")
	}
	for _, name := range sortedKeys(w.Headers) {
		if msg := checkHeader(name, w.Headers[name]); msg != "" {
			c.check("headers", msg)
			break
		}
	}
	if len(w.RequestParams) > MaxWebhookParams {
		c.check("request_params", "must have at most 20 entries")
	}
	for k, v := range w.RequestParams {
		if k == "" || len(k) > 256 || len(v) > MaxWebhookValue {
			c.check("request_params", "has an empty or too long name or value")
			break
		}
	}
	return c.fe.Err()
}

// checkHeader returns the validation message for a custom header, or "".
func checkHeader(name, value string) string {
	switch {
	case !validHeaderName(name):
		return "has an invalid header name"
	case reservedHeaders[http.CanonicalHeaderKey(name)]:
		return "cannot set " + http.CanonicalHeaderKey(name)
	case strings.ContainsAny(value, "\r\n\x00") || len(value) > MaxWebhookValue:
		return "has an invalid value for " + http.CanonicalHeaderKey(name)
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// CheckCallbackURL returns the validation message for a callback URL, or
// "". It checks the form only; where the URL points is the delivering
// side's to check (see package webhook).
func CheckCallbackURL(s string) string {
	if s == "" {
		return "can't be blank"
	}
	if len(s) > MaxWebhookURLLength {
		return "is too long (at most 2048 characters)"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return "must be an http or https URL"
	}
	if u.User != nil {
		return "must not carry a user name or password; use headers"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	return ""
}

// EventMask is a parsed event_mask: "*", or events separated by ";", where
// an ari event may be narrowed as ari:<fields>:<room_type_ids>:<rate_plan_ids>
// (comma lists, "*" for any).
type EventMask struct {
	all    bool
	events map[string]bool
	ari    []ARIMask
}

// ARIMask narrows ari events; a nil set means any.
type ARIMask struct {
	Fields, RoomTypes, RatePlans map[string]bool
}

// ariFieldNames are the names an ari mask's first part may use.
var ariFieldNames = func() map[string]bool {
	m := map[string]bool{ARIFieldAvailability: true}
	for _, f := range RestrictionFields {
		m[f.Name] = true
	}
	return m
}()

// ParseEventMask parses an event_mask, or returns the validation message.
func ParseEventMask(s string) (EventMask, string) {
	m := EventMask{events: map[string]bool{}}
	s = strings.TrimSpace(s)
	if s == "" {
		return m, "can't be blank"
	}
	if len(s) > 8192 {
		return m, "is too long"
	}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			continue
		case part == "*":
			m.all = true
		case strings.HasPrefix(part, EventARI+":"):
			am, msg := parseARIMask(strings.TrimPrefix(part, EventARI+":"))
			if msg != "" {
				return m, msg
			}
			m.ari = append(m.ari, am)
		case webhookEvents[part]:
			m.events[part] = true
		default:
			return m, "has an unknown event: " + quoteShort(part)
		}
	}
	if !m.all && len(m.events) == 0 && len(m.ari) == 0 {
		return m, "can't be blank"
	}
	return m, ""
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

func parseARIMask(s string) (ARIMask, string) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return ARIMask{}, "has an ari mask with more than ari:<restrictions>:<room_types>:<rate_plans>"
	}
	for len(parts) < 3 {
		parts = append(parts, "*")
	}
	var am ARIMask
	sets := []*map[string]bool{&am.Fields, &am.RoomTypes, &am.RatePlans}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "*" || p == "" {
			continue
		}
		set := map[string]bool{}
		for v := range strings.SplitSeq(p, ",") {
			v = strings.ToLower(strings.TrimSpace(v))
			if v == "*" {
				set = nil
				break
			}
			if i == 0 && !ariFieldNames[v] {
				return am, "has an unknown restriction in an ari mask: " + quoteShort(v)
			}
			if i > 0 && !ValidID(v) {
				return am, "has an invalid id in an ari mask: " + quoteShort(v)
			}
			set[v] = true
		}
		*sets[i] = set
	}
	return am, ""
}

// Names reports whether the mask names event itself, not through "*":
// an organisation's events (EventAPIKeyLeaked) go only to webhooks that
// ask for them by name.
func (m EventMask) Names(event string) bool { return m.events[event] }

// Matches reports whether the mask selects event (for ari, whether it
// selects some ari change; see MatchesARI).
func (m EventMask) Matches(event string) bool {
	if m.all || m.events[event] {
		return true
	}
	return event == EventARI && len(m.ari) > 0
}

// MatchesARI reports whether the mask selects an ari change of a room type
// and rate plan (empty for an availability change) writing fields.
func (m EventMask) MatchesARI(roomTypeID, ratePlanID string, fields []string) bool {
	if m.all || m.events[EventARI] {
		return true
	}
	for _, am := range m.ari {
		if am.RoomTypes != nil && !am.RoomTypes[roomTypeID] {
			continue
		}
		// An availability change belongs to the room type, not to one of
		// its rate plans: only the other parts of the mask select it.
		if am.RatePlans != nil && ratePlanID != "" && !am.RatePlans[ratePlanID] {
			continue
		}
		if am.Fields == nil {
			return true
		}
		for _, f := range fields {
			if am.Fields[f] {
				return true
			}
		}
	}
	return false
}

// RevisionNotice is what the webhook queue needs to know of a booking
// revision just written.
type RevisionNotice struct {
	PropertyID string
	BookingID  string
	RevisionID string
	// Status is the revision's status: new, modified or cancelled.
	Status       string
	UnmappedRoom bool
	UnmappedRate bool
	// UserID is the user whose request made the revision, or "".
	UserID string
}

// Events returns the webhook events the revision fires, "booking" first.
func (n RevisionNotice) Events() []string {
	out := []string{EventBooking}
	switch n.Status {
	case "new":
		out = append(out, EventBookingNew)
	case "modified":
		out = append(out, EventBookingModification)
	case "cancelled":
		out = append(out, EventBookingCancellation)
	}
	if n.UnmappedRoom {
		out = append(out, EventBookingUnmappedRoom)
	}
	if n.UnmappedRate {
		out = append(out, EventBookingUnmappedRate)
	}
	return out
}

// Payload returns what a booking event of the revision carries: the
// booking, its property and the revision; for the unmapped events the
// booking and the revision, as Channex names them.
func (n RevisionNotice) Payload(event string) map[string]string {
	if event == EventBookingUnmappedRoom || event == EventBookingUnmappedRate {
		return map[string]string{"booking_id": n.BookingID, "booking_revision_id": n.RevisionID}
	}
	return map[string]string{"booking_id": n.BookingID, "property_id": n.PropertyID, "revision_id": n.RevisionID}
}

// ARIPayload returns one entry of an ari event's payload: what one write
// set on one date of a room type (ratePlanID "" for availability) or rate
// plan, with the values written.
func ARIPayload(roomTypeID, ratePlanID string, day Date, values map[string]any) map[string]any {
	m := make(map[string]any, len(values)+3)
	for k, v := range values {
		m[k] = v
	}
	m["date"] = day.String()
	m["room_type_id"] = roomTypeID
	if ratePlanID == "" {
		m["rate_plan_id"] = nil
	} else {
		m["rate_plan_id"] = ratePlanID
	}
	return m
}

// webhookEnvelope is the body of a delivery, as in Channex.
type webhookEnvelope struct {
	Event      string  `json:"event"`
	Payload    any     `json:"payload,omitempty"`
	PropertyID *string `json:"property_id"`
	UserID     *string `json:"user_id"`
	Timestamp  string  `json:"timestamp"`
}

// WebhookBody returns the JSON body of an event, as Channex writes it: the
// payload is left out unless sendData is set.
func WebhookBody(event, propertyID, userID string, payload any, sendData bool, at time.Time) []byte {
	env := webhookEnvelope{Event: event, Timestamp: at.UTC().Format("2006-01-02T15:04:05.0000Z")}
	if propertyID != "" {
		env.PropertyID = &propertyID
	}
	if userID != "" {
		env.UserID = &userID
	}
	if sendData {
		env.Payload = payload
	}
	b, _ := json.Marshal(env)
	return b
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event queued for, or sent to, one webhook.
type WebhookDelivery struct {
	ID         string
	WebhookID  string
	PropertyID string
	Event      string
	// Body is the JSON posted.
	Body          []byte
	Status        string
	Attempts      int
	LastStatus    int // HTTP status of the last answer, 0 for none
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
}

// WebhookCall is a claimed delivery with what is needed to send it.
type WebhookCall struct {
	Delivery      WebhookDelivery
	CallbackURL   string
	RequestParams map[string]string
	Headers       map[string]string
	Secret        string
	// Lease identifies the claim; only its holder may record the outcome.
	Lease string
}

// CleanText returns s as text both databases store: valid UTF-8 without
// NUL characters.
func CleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
