package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// activityView is the Activity page: the audit log, of one key or all.
type activityView struct {
	Events []activityRow
	Pager  pager
	// Key is the key whose events are shown; nil for all.
	Key *keycard.APIKey
}

// activityRow is one event, in words: names, never ids.
type activityRow struct {
	*keycard.AuditEvent
	What    string
	KeyName string
	Actor   string
	// Said is what the details say, in words; "" when they say nothing.
	Said string
	// Raw shows the details as they are: those of an event this page does
	// not know.
	Raw bool
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

	keycard.AuditGroupPropertyAdded:   "Property put into a group",
	keycard.AuditGroupPropertyRemoved: "Property taken out of a group",

	keycard.AuditChannelCreated:     "Channel added",
	keycard.AuditChannelChanged:     "Channel changed",
	keycard.AuditChannelActivated:   "Channel activated",
	keycard.AuditChannelDeactivated: "Channel deactivated",
	keycard.AuditChannelDeleted:     "Channel deleted",
	keycard.AuditChannelRuleCreated: "Channel availability rule created",
	keycard.AuditChannelRuleChanged: "Channel availability rule changed",
	keycard.AuditChannelRuleDeleted: "Channel availability rule deleted",
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
	nm, err := s.eventNames(ctx, p, events)
	if err != nil {
		return err
	}
	for _, e := range events {
		row := activityRow{AuditEvent: e, What: eventWords[e.Event], KeyName: nm.keys[e.APIKeyID], Said: nm.say(e)}
		if row.What == "" {
			row.What = e.Event
			row.Raw = row.Said == "" && len(e.Details) > 0 && string(e.Details) != "{}"
		}
		switch {
		case e.ActorType == keycard.ActorKeycard:
			row.Actor = "keycard"
		case e.ActorType == keycard.ActorAPIKey && e.ActorID == e.APIKeyID:
			row.Actor = "the key itself"
		case e.ActorType == keycard.ActorAPIKey && nm.keys[e.ActorID] != "":
			row.Actor = "key “" + nm.keys[e.ActorID] + "”"
		case e.ActorType == keycard.ActorAPIKey:
			row.Actor = "another key"
		case e.ActorID == p.UserID:
			row.Actor = "you"
		case nm.users[e.ActorID] != "":
			row.Actor = nm.users[e.ActorID]
		default:
			row.Actor = "another user"
		}
		v.Events = append(v.Events, row)
	}
	v.Pager = newPager(base, n, total, eventsPerPage)
	return s.render(w, r, http.StatusOK, "api_key_activity", page{Title: "Activity", Nav: "keys", Data: v})
}

// names are the names of what a page of events gives by id, looked up
// once each: keys, users (their emails), properties the viewer reaches,
// organisations and webhooks (where they send to).
type names struct {
	viewer   *keycard.Principal
	keys     map[string]string
	users    map[string]string
	titles   map[string]string
	orgs     map[string]string
	webhooks map[string]string
}

// eventNames looks up the names the events give by id. What the viewer
// cannot see, or what is gone, has no name: the words then say "a key",
// "a property you do not reach" and so on.
func (s *Server) eventNames(ctx context.Context, p *keycard.Principal, events []*keycard.AuditEvent) (*names, error) {
	nm := &names{viewer: p, keys: map[string]string{}, users: map[string]string{}, titles: map[string]string{},
		orgs: map[string]string{}, webhooks: map[string]string{}}
	options, err := s.store.PropertyOptions(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, o := range options {
		nm.titles[o.ID] = o.Title
	}
	// lookup names id in m, once; a missing id is remembered as "".
	lookup := func(m map[string]string, id string, find func() (string, error)) error {
		if _, done := m[id]; done || id == "" {
			return nil
		}
		name, err := find()
		if keycard.ErrorCode(err) == keycard.ENotFound {
			name, err = "", nil
		}
		m[id] = name
		return err
	}
	for _, e := range events {
		keyIDs := []string{e.APIKeyID}
		if e.ActorType == keycard.ActorAPIKey {
			keyIDs = append(keyIDs, e.ActorID)
		}
		for _, id := range keyIDs {
			if err := lookup(nm.keys, id, func() (string, error) {
				k, err := s.store.APIKey(ctx, p, id)
				if err != nil {
					return "", err
				}
				return k.Name, nil
			}); err != nil {
				return nil, err
			}
		}
		if e.ActorType == keycard.ActorUser && e.ActorID != p.UserID {
			if err := lookup(nm.users, e.ActorID, func() (string, error) {
				u, err := s.store.User(ctx, e.ActorID)
				if err != nil {
					return "", err
				}
				return u.Email, nil
			}); err != nil {
				return nil, err
			}
		}
		var d struct {
			Org     string `json:"organization_id"`
			Webhook string `json:"webhook_id"`
		}
		if json.Unmarshal(e.Details, &d) != nil {
			continue
		}
		if err := lookup(nm.orgs, d.Org, func() (string, error) {
			o, err := s.store.Organization(ctx, d.Org)
			if err != nil {
				return "", err
			}
			return o.Name, nil
		}); err != nil {
			return nil, err
		}
		if err := lookup(nm.webhooks, d.Webhook, func() (string, error) {
			w, err := s.store.Webhook(ctx, p, d.Webhook)
			if err != nil {
				return "", err
			}
			// Only the host: a callback URL may carry a token in its
			// path or query.
			u, err := url.Parse(w.CallbackURL)
			if err != nil {
				return "", nil
			}
			return u.Host, nil
		}); err != nil {
			return nil, err
		}
	}
	return nm, nil
}

// pausedWords says why keycard paused a webhook.
var pausedWords = map[string]string{
	keycard.WebhookPausedKeyWithdrawn: "its key was withdrawn",
	keycard.WebhookPausedKeyExpired:   "its key expired",
	keycard.WebhookPausedNoAccess:     "its maker lost access to the property",
}

// refusedWords says why a key's use was refused.
var refusedWords = map[string]string{
	keycard.RefusedWithdrawn:  "The key is withdrawn",
	keycard.RefusedExpired:    "The key has expired",
	keycard.RefusedRolled:     "An old secret of the key, after the grace period of its roll",
	keycard.RefusedIP:         "From an address outside the key's IP allow-list",
	keycard.RefusedReadOnly:   "A change with a read-only key",
	keycard.RefusedOutOfScope: "Something the key may not do (403)",
}

// property names a property by its id: its title if the viewer reaches
// it, else the title the event kept, else none.
func (nm *names) property(id, kept string) string {
	switch {
	case nm.titles[id] != "":
		return nm.titles[id]
	case kept != "":
		return kept
	}
	return "a property you do not reach"
}

// scope says which properties a key reaches: all, or the titles of ids
// (a JSON array).
func (nm *names) scope(all, ids any) string {
	if all == true {
		return "all properties"
	}
	list, _ := ids.([]any)
	if len(list) == 0 {
		return "no property"
	}
	var out []string
	for _, id := range list {
		s, _ := id.(string)
		out = append(out, nm.property(s, ""))
	}
	return strings.Join(out, ", ")
}

// onOff says a boolean setting.
func onOff(v any) string {
	if b, _ := v.(bool); b {
		return "on"
	}
	return "off"
}

// expiry says when a key expires: an RFC 3339 time, or never.
func expiry(v any) string {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "never"
	}
	return formatTime(t)
}

// allowlist says a key's IP allow-list (a JSON array).
func allowlist(v any) string {
	list, _ := v.([]any)
	if len(list) == 0 {
		return "any address"
	}
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// graceWords says how long a rolled key's old secret kept working.
func graceWords(v any) string {
	secs, _ := v.(float64)
	if secs <= 0 {
		return "The old secret stopped working at once"
	}
	label := time.Duration(secs * float64(time.Second)).String()
	for _, g := range gracePeriods {
		if g.Seconds == int(secs) {
			label = g.Label
		}
	}
	return "The old secret kept working for " + label
}

// say puts an event's details into words, with the names of what they
// give by id; "" when they say nothing (or nothing this page knows).
func (nm *names) say(e *keycard.AuditEvent) string {
	var d map[string]any
	if json.Unmarshal(e.Details, &d) != nil || len(d) == 0 {
		return ""
	}
	str := func(k string) string { s, _ := d[k].(string); return s }
	switch e.Event {
	case keycard.AuditCreated:
		out := "“" + str("name") + "”, for " + nm.scope(d["access_all_properties"], d["property_ids"])
		if d["read_only"] == true {
			out += "; read-only"
		}
		if v, ok := d["expires_at"]; ok {
			out += "; expires " + expiry(v)
		}
		if v, ok := d["ip_allowlist"]; ok {
			out += "; IP allow-list: " + allowlist(v)
		}
		return out
	case keycard.AuditChanged:
		side := func(field, end string) (any, bool) {
			c, ok := d[field].(map[string]any)
			if !ok {
				return nil, false
			}
			return c[end], true
		}
		var parts []string
		if from, ok := side("name", "from"); ok {
			to, _ := side("name", "to")
			parts = append(parts, "name: “"+asString(from)+"” → “"+asString(to)+"”")
		}
		fromAll, allChanged := side("access_all_properties", "from")
		toAll, _ := side("access_all_properties", "to")
		fromIDs, idsChanged := side("property_ids", "from")
		toIDs, _ := side("property_ids", "to")
		if allChanged || idsChanged {
			parts = append(parts, "properties: "+nm.scope(fromAll, fromIDs)+" → "+nm.scope(toAll, toIDs))
		}
		if from, ok := side("read_only", "from"); ok {
			to, _ := side("read_only", "to")
			parts = append(parts, "read-only: "+onOff(from)+" → "+onOff(to))
		}
		if from, ok := side("ip_allowlist", "from"); ok {
			to, _ := side("ip_allowlist", "to")
			parts = append(parts, "IP allow-list: "+allowlist(from)+" → "+allowlist(to))
		}
		if from, ok := side("expires_at", "from"); ok {
			to, _ := side("expires_at", "to")
			parts = append(parts, "expiry: "+expiry(from)+" → "+expiry(to))
		}
		if len(parts) == 0 {
			return ""
		}
		out := strings.Join(parts, "; ")
		return strings.ToUpper(out[:1]) + out[1:]
	case keycard.AuditRolled:
		return graceWords(d["grace_period_seconds"])
	case keycard.AuditUseRefused, keycard.AuditExpired:
		if why := refusedWords[str("reason")]; why != "" {
			return why
		}
		return "Reason: " + str("reason")
	case keycard.AuditBlocked, keycard.AuditUnblocked:
		org := str("organization_id")
		switch {
		case org == "":
			return ""
		case org == nm.viewer.OrganizationID:
			return "For your organisation's properties"
		case nm.orgs[org] != "":
			return "By " + nm.orgs[org] + ", for its properties"
		}
		return "By another organisation, for its properties"
	case keycard.AuditOrganizationChanged:
		c, ok := d["allow_external_keys"].(map[string]any)
		if !ok || len(d) != 1 {
			return ""
		}
		return "Allow keys from other organisations: " + onOff(c["from"]) + " → " + onOff(c["to"])
	case keycard.AuditWebhookCreated, keycard.AuditWebhookChanged, keycard.AuditWebhookPaused, keycard.AuditWebhookDeleted:
		out := "A webhook"
		if host := nm.webhooks[str("webhook_id")]; host != "" {
			out = "Webhook to " + host
		}
		if prop := str("property_id"); prop == "" {
			out += " for all properties"
		} else {
			out += " for " + nm.property(prop, "")
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
		if reason := str("reason"); reason != "" {
			why := pausedWords[reason]
			if why == "" {
				why = reason
			}
			out += "; " + why
		}
		return out
	case keycard.AuditGroupPropertyAdded, keycard.AuditGroupPropertyRemoved:
		prop, group := nm.property(str("property_id"), str("property_title")), "“"+str("group_title")+"”"
		if e.Event == keycard.AuditGroupPropertyAdded {
			return prop + " put into the group " + group
		}
		return prop + " taken out of the group " + group
	case keycard.AuditChannelCreated, keycard.AuditChannelChanged, keycard.AuditChannelActivated, keycard.AuditChannelDeactivated,
		keycard.AuditChannelDeleted:
		out := "“" + str("channel_title") + "” of " + nm.property(str("property_id"), "")
		if changed, ok := d["changed"].([]any); ok && len(changed) > 0 {
			var fields []string
			for _, c := range changed {
				if f, ok := c.(string); ok {
					fields = append(fields, strings.ReplaceAll(f, "_", " "))
				}
			}
			out += "; changed: " + strings.Join(fields, ", ")
		}
		return out
	case keycard.AuditChannelRuleCreated, keycard.AuditChannelRuleChanged, keycard.AuditChannelRuleDeleted:
		return "“" + str("title") + "” of " + nm.property(str("property_id"), "")
	}
	return ""
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
