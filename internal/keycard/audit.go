package keycard

import (
	"encoding/json"
	"time"
)

// Audit events. A key's events name the key; sign-ins name the user.
const (
	AuditCreated      = "api_key.created"
	AuditChanged      = "api_key.changed"
	AuditRolled       = "api_key.rolled"
	AuditWithdrawn    = "api_key.withdrawn"
	AuditExpired      = "api_key.expired"     // its first refused use
	AuditFirstUsed    = "api_key.first_used"  // its first successful use
	AuditUseRefused   = "api_key.use_refused" // details.reason says why
	AuditSignedIn     = "user.signed_in"
	AuditSignInFailed = "user.sign_in_failed"
	// An organisation blocked (or unblocked) an external key for its
	// properties; recorded in both organisations' logs.
	AuditBlocked   = "api_key.blocked"
	AuditUnblocked = "api_key.unblocked"
	// The owner changed an organisation's settings (details say what).
	AuditOrganizationChanged = "organization.changed"

	// Webhook events name the webhook's maker (user, and key when a key
	// made it) and, in details, the webhook and its property.
	AuditWebhookCreated = "webhook.created"
	AuditWebhookChanged = "webhook.changed"
	AuditWebhookPaused  = "webhook.paused" // details.reason is a WebhookPaused constant
	AuditWebhookDeleted = "webhook.deleted"

	// A property was put into a group or taken out, by a user or a key
	// (actor); details name the group and the property, with their titles
	// at the time.
	AuditGroupPropertyAdded   = "group.property_added"
	AuditGroupPropertyRemoved = "group.property_removed"

	// Channel events name the user (and key) that acted and, in details,
	// the channel and its property; a change names the attributes that
	// changed, never the API key's value.
	AuditChannelCreated     = "channel.created"
	AuditChannelChanged     = "channel.changed"
	AuditChannelActivated   = "channel.activated"
	AuditChannelDeactivated = "channel.deactivated"
	AuditChannelDeleted     = "channel.deleted"
	AuditChannelRuleCreated = "channel_availability_rule.created"
	AuditChannelRuleChanged = "channel_availability_rule.changed"
	AuditChannelRuleDeleted = "channel_availability_rule.deleted"
)

// AuditEvents lists every audit event name.
var AuditEvents = []string{AuditCreated, AuditChanged, AuditRolled, AuditWithdrawn, AuditExpired,
	AuditFirstUsed, AuditUseRefused, AuditSignedIn, AuditSignInFailed, AuditBlocked, AuditUnblocked, AuditOrganizationChanged,
	AuditWebhookCreated, AuditWebhookChanged, AuditWebhookPaused, AuditWebhookDeleted,
	AuditGroupPropertyAdded, AuditGroupPropertyRemoved,
	AuditChannelCreated, AuditChannelChanged, AuditChannelActivated, AuditChannelDeactivated, AuditChannelDeleted,
	AuditChannelRuleCreated, AuditChannelRuleChanged, AuditChannelRuleDeleted}

// Reasons a known key's use is refused, in an AuditUseRefused event.
const (
	RefusedWithdrawn  = "withdrawn"
	RefusedExpired    = "expired"
	RefusedRolled     = "rolled" // the old secret of a rolled key, after its grace period
	RefusedIP         = "ip_not_allowed"
	RefusedReadOnly   = "read_only"
	RefusedOutOfScope = "out_of_scope"
)

// Actor types of an audit event.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	// ActorKeycard is keycard itself, as when it pauses a webhook.
	ActorKeycard = "keycard"
)

// AuditEvent is one entry of the audit log. It never holds a secret.
type AuditEvent struct {
	ID             string
	OrganizationID string
	OccurredAt     time.Time
	Event          string
	APIKeyID       string // "" for sign-ins
	UserID         string // the key's user, or the user signing in
	ActorType      string
	ActorID        string
	IP             string
	UserAgent      string
	Details        json.RawMessage // a JSON object
}
