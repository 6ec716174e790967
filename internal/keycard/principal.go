package keycard

import "context"

// Principal is who a request acts for: a user, either signed in (a session)
// or through one of the user's API keys. Its reach over properties is not
// stored here: the store evaluates it at query time from UserID and, for a
// restricted key, APIKeyID, so a change of access applies at once.
type Principal struct {
	UserID string
	// OrganizationID is the organisation the user belongs to.
	OrganizationID string
	// OrganizationOwner reports whether the user is the billing account
	// owner of OrganizationID.
	OrganizationOwner bool
	// SubscriptionActive reports whether OrganizationID has an active
	// subscription.
	SubscriptionActive bool

	// APIKeyID is set when the request is authenticated by an API key.
	APIKeyID string
	// AllProperties reports whether the key (if any) reaches every property
	// its user reaches, including ones created later. Sessions always do.
	AllProperties bool
	// ReadOnly reports whether the key (if any) may only read.
	ReadOnly bool
}

// ViaAPIKey reports whether the principal was authenticated by an API key.
func (p *Principal) ViaAPIKey() bool { return p.APIKeyID != "" }

// Restricted reports whether the principal is narrowed to a selection of
// properties.
func (p *Principal) Restricted() bool { return p.ViaAPIKey() && !p.AllProperties }

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
