package keycard

import (
	"net/mail"
	"strings"
	"time"
)

// Mode is the server's mode. Production gates API Key Access behind
// billing ownership and an active subscription; staging opens it to every
// user, as Channex's staging server does.
type Mode string

// Modes.
const (
	ModeStaging    Mode = "staging"
	ModeProduction Mode = "production"
)

// Subscription statuses.
const (
	SubscriptionActive   = "active"
	SubscriptionInactive = "inactive"
)

// Roles of a property user or group user.
const (
	RoleOwner = "owner"
	RoleUser  = "user"
)

// User is a person who signs in. A user invited by email has no password
// until one is set.
type User struct {
	ID             string
	Email          string
	Name           string
	OrganizationID string
	HasPassword    bool
	CreatedAt      time.Time
}

// Organization is a billing account: it owns properties, groups and API
// keys, and has exactly one billing account owner.
type Organization struct {
	ID                 string
	Name               string
	OwnerUserID        string
	SubscriptionStatus string
	// AllowExternalKeys reports whether keys of users from other
	// organisations (users it invited to some of its properties) may reach
	// its properties. Channex allows them; it is on by default.
	AllowExternalKeys bool
	CreatedAt         time.Time
}

// NormalizeEmail returns the canonical (trimmed, lower-case) form of an
// email address, used for uniqueness and look-ups.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail reports a validation message for email, or "".
func ValidateEmail(email string) string {
	if strings.TrimSpace(email) == "" {
		return "can't be blank"
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != strings.TrimSpace(email) || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@'):], ".") {
		return "is invalid"
	}
	if len(email) > 254 {
		return "is too long (maximum is 254 characters)"
	}
	return ""
}

// MinPasswordLen is the shortest password accepted, as in Channex.
const MinPasswordLen = 8

// ValidatePassword reports a validation message for password, or "".
func ValidatePassword(password string) string {
	switch {
	case len(password) < MinPasswordLen:
		return "is too short (minimum is 8 characters)"
	case len(password) > 72:
		// bcrypt reads only the first 72 bytes; a longer password would
		// silently be truncated.
		return "is too long (maximum is 72 bytes)"
	}
	return ""
}

// CanManageAccess returns nil when p may grant, change or take away
// people's access: invite, change or remove property users and group
// users. Only a signed-in user may, never an API key: a leaked key must not
// bring a new person in, nor hand out access (or a way to make keys) that
// outlives its withdrawal.
func CanManageAccess(p *Principal) error {
	if p.ViaAPIKey() {
		return Errorf(EForbidden, "access to properties and groups cannot be granted or changed with an API key; sign in as a user")
	}
	return nil
}

// CanMoveProperties returns nil when p's kind of credential may put
// properties into groups or take them out: a signed-in user, or an API key
// that may write (Channex clients do it while setting a property up). It
// brings no one new in: the group's users are people a signed-in user gave
// the group to. Whether p may move a given property, into or out of a given
// group, is the store's to decide: a key only stops being refused for
// being a key, and its user needs the same powers as without it.
func CanMoveProperties(p *Principal) error {
	return p.Allow(Needs(LevelWrite, FamilyProperties))
}

// CanManageAPIKeys returns nil when p may create, list, change or withdraw
// API keys in mode, or a forbidden Error whose details say which condition
// failed.
func CanManageAPIKeys(mode Mode, p *Principal) error {
	if p.ViaAPIKey() {
		return Errorf(EForbidden, "API keys cannot be managed with an API key; sign in as a user")
	}
	if mode != ModeProduction {
		return nil
	}
	if !p.OrganizationOwner {
		return Errorf(EForbidden, "only the organisation's billing account owner can manage API keys")
	}
	if !p.SubscriptionActive {
		return Errorf(EForbidden, "the organisation has no active subscription")
	}
	return nil
}
