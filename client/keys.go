package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
)

// APIKeyChange changes an API key; nil fields stay as they are.
type APIKeyChange struct {
	Name                *string   `json:"name,omitempty"`
	AccessAllProperties *bool     `json:"access_all_properties,omitempty"`
	PropertyIDs         *[]string `json:"property_ids,omitempty"`
	ReadOnly            *bool     `json:"read_only,omitempty"`
	IPAllowlist         *[]string `json:"ip_allowlist,omitempty"`
	// ExpiresAt is an RFC 3339 time, or "never" to remove the expiry.
	ExpiresAt *string `json:"-"`
}

// MarshalJSON sends ExpiresAt "never" as null.
func (c APIKeyChange) MarshalJSON() ([]byte, error) {
	type plain APIKeyChange
	b, err := json.Marshal(plain(c))
	if err != nil || c.ExpiresAt == nil {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if *c.ExpiresAt == "never" {
		m["expires_at"] = nil
	} else {
		m["expires_at"] = *c.ExpiresAt
	}
	return json.Marshal(m)
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
	ID         string  `json:"id"`
	Event      string  `json:"event"`
	OccurredAt string  `json:"occurred_at"`
	APIKeyID   *string `json:"api_key_id"`
	UserID     *string `json:"user_id"`
	Actor      struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"actor"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Details   map[string]any `json:"details"`
}

// AuditEvents iterates over the audit log, newest first. Filter with
// opts.Filters: "api_key_id", "event", "occurred_at" (use the
// "occurred_at][gte" form for a bound).
func (c *Client) AuditEvents(ctx context.Context, opts ListOptions) iter.Seq2[*AuditEvent, error] {
	return ptrs(list[AuditEvent](c, ctx, "/api/v1/audit_events", opts))
}
