package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// APIKeyChange changes an API key; nil fields stay as they are.
type APIKeyChange struct {
	Name                *string   `json:"name,omitempty"`
	AccessAllProperties *bool     `json:"access_all_properties,omitempty"`
	PropertyIDs         *[]string `json:"property_ids,omitempty"`
	ReadOnly            *bool     `json:"read_only,omitempty"`
	// Permissions replace the key's permissions.
	Permissions *Permissions `json:"permissions,omitempty"`
	IPAllowlist *[]string    `json:"ip_allowlist,omitempty"`
	// ExpiresAt sets when the key stops working.
	ExpiresAt *time.Time `json:"-"`
	// NoExpiry removes the key's expiry: it works until withdrawn. It
	// wins over ExpiresAt.
	NoExpiry bool `json:"-"`
}

// MarshalJSON sends NoExpiry as an expires_at of null.
func (c APIKeyChange) MarshalJSON() ([]byte, error) {
	type plain APIKeyChange
	var expires any
	switch {
	case c.NoExpiry:
		expires = nil
	case c.ExpiresAt != nil:
		expires = *c.ExpiresAt
	default:
		return json.Marshal(plain(c))
	}
	return json.Marshal(struct {
		plain
		ExpiresAt any `json:"expires_at"`
	}{plain(c), expires})
}

// UpdateAPIKey changes a key's name, properties or options; the change
// applies on the key's next request.
func (c *Client) UpdateAPIKey(ctx context.Context, id string, ch APIKeyChange) (*APIKey, error) {
	return one[APIKey](c, ctx, http.MethodPut, "/api/v1/api_keys/"+pathID(id), map[string]any{"api_key": ch})
}

// RollAPIKey gives a key a new secret (the answer's Key, shown this once)
// with the same settings. The old secret keeps working for graceSeconds
// (0 to 604800); 0 ends it at once, for a leaked key.
func (c *Client) RollAPIKey(ctx context.Context, id string, graceSeconds int) (*APIKey, error) {
	return one[APIKey](c, ctx, http.MethodPost, "/api/v1/api_keys/"+pathID(id)+"/roll",
		map[string]any{"api_key": map[string]int{"grace_period_seconds": graceSeconds}})
}

// AuditEvent is an entry of the audit log.
type AuditEvent struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	OccurredAt time.Time `json:"occurred_at"`
	APIKeyID   *string   `json:"api_key_id"`
	UserID     *string   `json:"user_id"`
	Actor      struct {
		// Type is "user", "api_key" or "keycard" (keycard itself, as
		// when it pauses a webhook; ID is then "").
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"actor"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Details   map[string]any `json:"details"`
}

func (e *AuditEvent) UnmarshalJSON(b []byte) error {
	type plain AuditEvent
	return json.Unmarshal(b, &struct {
		*plain
		OccurredAt timeField `json:"occurred_at"`
	}{(*plain)(e), timeField{&e.OccurredAt}})
}

// AuditEvents iterates over the audit log, newest first. Filter with
// opts.Filters: "api_key_id", "event", "occurred_at" (use the
// "occurred_at][gte" form for a bound).
func (c *Client) AuditEvents(ctx context.Context, opts ListOptions) iter.Seq2[*AuditEvent, error] {
	return ptrs(list[AuditEvent](c, ctx, "/api/v1/audit_events", opts))
}
