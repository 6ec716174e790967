package keycard

import (
	"encoding/json"
	"strings"
	"time"
)

// Group is a named set of an organisation's properties. Every organisation
// has one default group, which cannot be deleted.
type Group struct {
	ID             string
	OrganizationID string
	Title          string
	IsDefault      bool
	Properties     []PropertyRef
	CreatedAt      time.Time
}

// PropertyRef names a property in a group's relationships.
type PropertyRef struct {
	ID    string
	Title string
}

// ValidateGroupTitle returns a validation Error for a bad group title.
func ValidateGroupTitle(title string) error {
	if msg := requiredText(title, 255); msg != "" {
		return Invalid("title", msg)
	}
	return nil
}

// Membership is a property user or a group user: a user's role on one
// property or on every property of one group.
type Membership struct {
	ID        string
	TargetID  string // the property or group
	UserID    string
	UserEmail string
	UserName  string
	Role      string
	Overrides json.RawMessage
	CreatedAt time.Time
}

// ValidRole reports whether role is a property/group user role.
func ValidRole(role string) bool { return role == RoleOwner || role == RoleUser }

// API key statuses.
const (
	KeyActive    = "active"
	KeyWithdrawn = "withdrawn"
)

// APIKey is a named, withdrawable credential of a user, for all of the
// user's properties or a selection of them. Its secret is never stored.
type APIKey struct {
	ID                  string
	OrganizationID      string
	UserID              string
	UserEmail           string // of the user the key acts for
	Name                string
	Hint                string
	AccessAllProperties bool
	PropertyIDs         []string
	Status              string
	CreatedAt           time.Time
	LastUsedAt          *time.Time
	UseCount            int64
	WithdrawnAt         *time.Time
	// ExpiresAt, if set, is when the key stops working.
	ExpiresAt *time.Time
	// Permissions are the key's level in each resource family.
	Permissions Permissions
	// IPAllowlist holds the addresses and CIDRs the key may be used from;
	// empty allows any.
	IPAllowlist []string
	// PreviousExpiresAt, after a roll with a grace period, is when the old
	// secret stops working.
	PreviousExpiresAt *time.Time
	// WithdrawnReason says why keycard withdrew the key
	// (WithdrawnLeaked); "" when its owner did, or it is live.
	WithdrawnReason string
	// LeakedAt and LeakedURL, for a key reported leaked, say when and
	// where it was found.
	LeakedAt  *time.Time
	LeakedURL string

	// External reports whether the key is of another organisation than
	// the one looking at it: the key of a user that organisation invited
	// to some of its properties.
	External bool
	// OrganizationPropertyIDs, for an external key, are the properties of
	// the looking organisation that the key's user and selection reach.
	OrganizationPropertyIDs []string
	// Blocks are the organisations that blocked the key for their
	// properties: all of them for the key's own organisation, only the
	// looking one's for an external key.
	Blocks []KeyBlock
}

// KeyBlock is an organisation's block of an external key: the key no
// longer reaches any of its properties.
type KeyBlock struct {
	OrganizationID   string
	OrganizationName string
	BlockedAt        time.Time
}

// ReadOnly reports whether the key's permissions grant no write.
func (k *APIKey) ReadOnly() bool { return !k.Permissions.Writes() }

// DisplayStatus returns the key's status at now: withdrawn, expired or
// active.
func (k *APIKey) DisplayStatus(now time.Time) string {
	if k.Status == KeyActive && k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return KeyExpired
	}
	return k.Status
}

// ValidateAPIKey checks a key's name and property selection.
func ValidateAPIKey(name string, all bool, propertyIDs []string) error {
	fe := FieldErrors{}
	if msg := requiredText(name, 100); msg != "" {
		fe.Add("name", msg)
	}
	if !all && len(propertyIDs) == 0 {
		fe.Add("property_ids", "select at least one property, or give access to all properties")
	}
	for _, id := range propertyIDs {
		if !ValidID(id) {
			fe.Add("property_ids", "must be a list of property ids")
			break
		}
	}
	return fe.Err()
}

// TrimIDs returns ids without blanks and duplicates, in their order.
func TrimIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
