package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
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

// LeakReport is a key found leaked, and where.
type LeakReport struct {
	Token string `json:"token"`
	URL   string `json:"url,omitempty"`
}

// LeakAnswer says of a reported key whether it was a live key of the
// organisation (Label "true_positive", and it is now withdrawn, or flagged
// if the server only flags leaks) or not ("false_positive").
type LeakAnswer struct {
	KeyHint string `json:"key_hint"`
	Label   string `json:"label"`
}

// ReportLeakedKeys reports keys of the organisation found leaked; for its
// billing owner. The answers come in the order of leaks.
func (c *Client) ReportLeakedKeys(ctx context.Context, leaks []LeakReport) ([]LeakAnswer, error) {
	var out struct {
		Data []LeakAnswer `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/api_keys/leaks", nil, map[string]any{"leaks": leaks}, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// KeyUsageBucket is a key's requests in one period, by outcome.
type KeyUsageBucket struct {
	Start       time.Time `json:"start"`
	Requests    int64     `json:"requests"`
	OK          int64     `json:"ok"`
	ClientError int64     `json:"client_error"`
	Denied      int64     `json:"denied"`
	Throttled   int64     `json:"throttled"`
	ServerError int64     `json:"server_error"`
}

// KeyUsage returns a key's requests from from to to (zero times: the
// server's defaults, the last 7 days) by granularity ("hour" or "day").
func (c *Client) KeyUsage(ctx context.Context, id string, from, to time.Time, granularity string) ([]KeyUsageBucket, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		q.Set("to", to.UTC().Format(time.RFC3339))
	}
	if granularity != "" {
		q.Set("granularity", granularity)
	}
	var out struct {
		Data struct {
			Attributes struct {
				Buckets []KeyUsageBucket `json:"buckets"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/api_keys/"+pathID(id)+"/usage", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Data.Attributes.Buckets, nil
}

func (b *KeyUsageBucket) UnmarshalJSON(data []byte) error {
	type plain KeyUsageBucket
	return json.Unmarshal(data, &struct {
		*plain
		Start timeField `json:"start"`
	}{(*plain)(b), timeField{&b.Start}})
}
