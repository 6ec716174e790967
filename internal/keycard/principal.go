package keycard

import (
	"context"
	"iter"
	"slices"
	"strings"
)

// Principal is who a request acts for: a user, either signed in (a session)
// or through one of the user's API keys. Its reach over properties is
// decided by the store from UserID and, for a restricted key, APIKeyID:
// either at query time, or once when the credential is loaded (Reach).
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
	// Permissions are the key's (if any) level in each resource family;
	// they narrow what its user may do. A session is not narrowed.
	Permissions Permissions
	// GateSubscriptions reports whether the production gate narrows the
	// key (if any): it reaches no property of an organisation without an
	// active subscription, whoever made it.
	GateSubscriptions bool

	// Reach, when set, is the set of properties the principal reaches, as
	// the store found it when it loaded the credential. Whoever keeps it
	// (the authenticator's cache) drops it on every change that could
	// alter it. When nil, the store works reach out in each query.
	Reach *Reach
}

// Reach is a set of property ids. It does not change once made, so
// copies of a principal may share it.
type Reach struct {
	ids  []string // sorted, each once
	list string   // ids as a JSON array
}

// NewReach returns the set of ids.
func NewReach(ids []string) *Reach {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	b.Grow(2 + len(ids)*39)
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		// Ids are UUIDs (validated where they are made): nothing to escape.
		b.WriteByte('"')
		b.WriteString(id)
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return &Reach{ids: ids, list: b.String()}
}

// Has reports whether id is in the set.
func (r *Reach) Has(id string) bool {
	_, ok := slices.BinarySearch(r.ids, id)
	return ok
}

// Len returns the number of ids in the set.
func (r *Reach) Len() int { return len(r.ids) }

// All yields the ids in order.
func (r *Reach) All() iter.Seq[string] { return slices.Values(r.ids) }

// JSON returns the ids as a JSON array of strings, in order.
func (r *Reach) JSON() string { return r.list }

// ViaAPIKey reports whether the principal was authenticated by an API key.
func (p *Principal) ViaAPIKey() bool { return p.APIKeyID != "" }

// Restricted reports whether the principal is narrowed to a selection of
// properties.
func (p *Principal) Restricted() bool { return p.ViaAPIKey() && !p.AllProperties }

// Allow returns nil when the principal meets need: a signed-in user
// always does (permissions narrow keys only), a key when its permissions
// grant it. The error names what the key lacks.
func (p *Principal) Allow(need Need) error {
	if !p.ViaAPIKey() {
		return nil
	}
	err := p.Permissions.Allow(need)
	if err != nil && need.Level == LevelWrite && !p.Permissions.Writes() {
		// Say it in the words of the key's settings.
		err = Errorf(EForbidden, "%s required: this API key is read-only", need)
	}
	return err
}

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
