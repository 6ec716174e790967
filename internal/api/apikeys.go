package api

import (
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

type apiKeyAttributes struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	AccessAllProperties bool     `json:"access_all_properties"`
	PropertyIDs         []string `json:"property_ids"`
	Status              string   `json:"status"`
	KeyHint             string   `json:"key_hint"`
	UserID              string   `json:"user_id"`
	UserEmail           string   `json:"user_email"`
	CreatedAt           string   `json:"created_at"`
	LastUsedAt          *string  `json:"last_used_at"`
	WithdrawnAt         *string  `json:"withdrawn_at"`
	ExpiresAt           *string  `json:"expires_at"`
	// ReadOnly reports whether Permissions grant no write.
	ReadOnly bool `json:"read_only"`
	// Permissions hold every family's level; Preset names the preset
	// they equal, or is null.
	Permissions map[string]string `json:"permissions"`
	Preset      *string           `json:"permissions_preset"`
	IPAllowlist []string          `json:"ip_allowlist"`
	// PreviousKeyExpiresAt, after a roll with a grace period, is when the
	// old secret stops working.
	PreviousKeyExpiresAt *string `json:"previous_key_expires_at"`
	// WithdrawnReason is "leaked" for a key keycard withdrew on a leak
	// report, else null; LeakedAt and LeakedURL say when and where a key
	// reported leaked was found.
	WithdrawnReason *string `json:"withdrawn_reason"`
	LeakedAt        *string `json:"leaked_at"`
	LeakedURL       *string `json:"leaked_url"`
	// External reports a key of a user from another organisation that
	// reaches this organisation's properties; OrganizationPropertyIDs are
	// those properties.
	External                bool       `json:"external"`
	OrganizationPropertyIDs []string   `json:"organization_property_ids"`
	BlockedBy               []keyBlock `json:"blocked_by"`
	// Key is the secret, present only in the response that creates it.
	Key string `json:"key,omitempty"`
}

type keyBlock struct {
	OrganizationID   string `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	BlockedAt        string `json:"blocked_at"`
}

func apiKeyResource(k *keycard.APIKey, secret string) resource {
	ids := k.PropertyIDs
	if ids == nil {
		ids = []string{}
	}
	blocks := make([]keyBlock, 0, len(k.Blocks))
	for _, b := range k.Blocks {
		blocks = append(blocks, keyBlock{OrganizationID: b.OrganizationID, OrganizationName: b.OrganizationName, BlockedAt: timestamp(b.BlockedAt)})
	}
	return resource{Type: "api_key", ID: k.ID, Attributes: apiKeyAttributes{
		External: k.External, OrganizationPropertyIDs: nonNilStrings(k.OrganizationPropertyIDs), BlockedBy: blocks,
		ID: k.ID, Name: k.Name, AccessAllProperties: k.AccessAllProperties, PropertyIDs: ids, Status: k.Status,
		KeyHint: k.Hint, UserID: k.UserID, UserEmail: k.UserEmail, CreatedAt: timestamp(k.CreatedAt), LastUsedAt: timestampPtr(k.LastUsedAt),
		WithdrawnAt: timestampPtr(k.WithdrawnAt), ExpiresAt: timestampPtr(k.ExpiresAt), ReadOnly: k.ReadOnly(),
		Permissions: k.Permissions.Map(), Preset: presetName(k.Permissions),
		IPAllowlist: nonNilStrings(k.IPAllowlist), PreviousKeyExpiresAt: timestampPtr(k.PreviousExpiresAt), Key: secret,
		WithdrawnReason: nullable(k.WithdrawnReason), LeakedAt: timestampPtr(k.LeakedAt), LeakedURL: nullable(k.LeakedURL),
	}}
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	keys, total, err := s.store.ListAPIKeys(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(keys))
	for _, k := range keys {
		items = append(items, apiKeyResource(k, ""))
	}
	return writeList(w, items, total, q)
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.APIKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}

// createAPIKey is POST /api/v1/api_keys. The response is the only place
// the key ever appears; it is marked not to be stored by caches.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "api_key")
	if err != nil {
		return err
	}
	var nk store.NewAPIKey
	f.str("name", &nk.Name)
	f.stringList("property_ids", &nk.PropertyIDs)
	// Without the flag, a key is for all properties unless some are
	// selected.
	nk.AccessAllProperties = len(nk.PropertyIDs) == 0
	f.boolean("access_all_properties", &nk.AccessAllProperties)
	f.boolean("read_only", &nk.ReadOnly)
	nk.Permissions = f.permissions("permissions")
	if nk.Permissions != nil && f.has("read_only") && nk.ReadOnly == nk.Permissions.Writes() {
		f.fail("read_only", "contradicts permissions; send one of them")
	}
	f.stringList("ip_allowlist", &nk.IPAllowlist)
	if at := f.timestamp("expires_at"); at != nil && !at.IsZero() {
		nk.ExpiresAt = at
	}
	if err := f.errs.Err(); err != nil {
		return err
	}
	k, secret, err := s.store.CreateKey(r.Context(), principal(r), nk)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeData(w, http.StatusCreated, apiKeyResource(k, secret))
}

// updateAPIKey is PUT /api/v1/api_keys/:id: the name, the property
// selection and the options can change; the secret changes only by a roll.
func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "api_key")
	if err != nil {
		return err
	}
	var c store.APIKeyChange
	c.Name = f.strPtr("name")
	var all bool
	if f.boolean("access_all_properties", &all) {
		c.AccessAllProperties = &all
	}
	var ids []string
	if f.stringList("property_ids", &ids) {
		c.PropertyIDs = ids
	}
	var readOnly bool
	if f.boolean("read_only", &readOnly) {
		c.ReadOnly = &readOnly
	}
	c.Permissions = f.permissions("permissions")
	if c.Permissions != nil && c.ReadOnly != nil && *c.ReadOnly == c.Permissions.Writes() {
		f.fail("read_only", "contradicts permissions; send one of them")
	}
	var allow []string
	if f.stringList("ip_allowlist", &allow) {
		c.IPAllowlist = allow
	}
	c.ExpiresAt = f.timestamp("expires_at")
	if err := f.errs.Err(); err != nil {
		return err
	}
	k, err := s.store.UpdateAPIKey(r.Context(), principal(r), r.PathValue("id"), c)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}

func (s *Server) withdrawAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.WithdrawAPIKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}

// blockAPIKey is POST /api/v1/api_keys/:id/block (or unblock): the
// billing owner blocks a key from outside for the organisation's
// properties.
func (s *Server) blockAPIKey(block bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		k, err := s.store.BlockAPIKey(r.Context(), principal(r), r.PathValue("id"), block)
		if err != nil {
			return err
		}
		return writeData(w, http.StatusOK, apiKeyResource(k, ""))
	}
}

type organizationAttributes struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	SubscriptionStatus string `json:"subscription_status"`
	AllowExternalKeys  bool   `json:"allow_external_keys"`
	CreatedAt          string `json:"created_at"`
}

func organizationResource(o *keycard.Organization) resource {
	return resource{Type: "organization", ID: o.ID, Attributes: organizationAttributes{ID: o.ID, Name: o.Name,
		SubscriptionStatus: o.SubscriptionStatus, AllowExternalKeys: o.AllowExternalKeys, CreatedAt: timestamp(o.CreatedAt)}}
}

// getOrganization is GET /api/v1/organization: the signed-in user's (or
// the key's) organisation.
func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := s.store.Organization(r.Context(), principal(r).OrganizationID)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, organizationResource(o))
}

// updateOrganization is PUT /api/v1/organization
// {"organization":{"allow_external_keys":false}}, for the billing owner.
func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "organization")
	if err != nil {
		return err
	}
	var allow bool
	if !f.has("allow_external_keys") {
		f.errs.Add("allow_external_keys", "can't be blank")
	}
	f.boolean("allow_external_keys", &allow)
	if err := f.errs.Err(); err != nil {
		return err
	}
	o, err := s.store.SetAllowExternalKeys(r.Context(), principal(r), allow)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, organizationResource(o))
}

// rollAPIKey is POST /api/v1/api_keys/:id/roll
// {"api_key":{"grace_period_seconds":N}}: a new secret, shown in this
// response only; the old one works for N more seconds.
func (s *Server) rollAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "api_key")
	if err != nil {
		return err
	}
	var grace float64
	raw := f.raw("grace_period_seconds")
	switch {
	case raw == nil || isNull(raw):
		f.errs.Add("grace_period_seconds", "can't be blank; give 0 to end the old secret at once")
	case json.Unmarshal(raw, &grace) != nil || grace != math.Trunc(grace):
		f.errs.Add("grace_period_seconds", "must be a whole number of seconds")
	case grace < 0 || grace > keycard.MaxGracePeriod.Seconds():
		f.errs.Add("grace_period_seconds", "must be between 0 and 604800 seconds (7 days)")
	}
	if err := f.errs.Err(); err != nil {
		return err
	}
	k, secret, err := s.store.RollAPIKey(r.Context(), principal(r), r.PathValue("id"), time.Duration(grace)*time.Second)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, secret))
}

// timestamp reads an RFC 3339 timestamp member; null reads as the zero
// time (none), an absent member as nil.
func (f *fields) timestamp(name string) *time.Time {
	raw, ok := f.get(name)
	if !ok {
		return nil
	}
	if isNull(raw) {
		return &time.Time{}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		f.errs.Add(name, "must be an RFC 3339 timestamp such as 2026-12-31T23:59:59Z, or null")
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		f.errs.Add(name, "must be an RFC 3339 timestamp such as 2026-12-31T23:59:59Z, or null")
		return nil
	}
	t = t.UTC()
	return &t
}

func nonNilStrings(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// presetName returns the name of the preset p equals, or nil.
func presetName(p keycard.Permissions) *string {
	if pr, ok := p.Preset(); ok {
		return &pr.Name
	}
	return nil
}

// permissions reads a key's permissions: a preset's name ("rms"), or an
// object of family levels ({"restrictions":"write","bookings":"read"})
// in which families not named are none. Nil when absent or bad.
func (f *fields) permissions(name string) *keycard.Permissions {
	raw, ok := f.get(name)
	if !ok {
		return nil
	}
	var preset string
	if json.Unmarshal(raw, &preset) == nil && !isNull(raw) {
		pr, ok := keycard.ParsePreset(preset)
		if !ok {
			f.fail(name, "must be a preset (full, read_only, pms, rms) or an object of family levels")
			return nil
		}
		return &pr.Permissions
	}
	var m map[string]string
	if isNull(raw) || json.Unmarshal(raw, &m) != nil {
		f.fail(name, `must be a preset (full, read_only, pms, rms) or an object of family levels such as {"restrictions":"write","bookings":"read"}`)
		return nil
	}
	p, msg := keycard.PermissionsFromMap(m)
	if msg != "" {
		f.fail(name, msg)
		return nil
	}
	return &p
}
