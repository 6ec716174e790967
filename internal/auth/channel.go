package auth

import (
	"context"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/tokens"
)

// Errors of a channel's push credentials. They carry no secret, and none
// says whether a key exists.
var (
	errChannelKeyMissing = keycard.Errorf(keycard.EForbidden, "The api-key header is missing: send the connection's inbound key (kcc_…), shown when the channel was created or its inbound key rolled")
	errChannelKey        = keycard.Errorf(keycard.EForbidden, "The api-key is not the inbound key of a channel connection: send the connection's inbound key (kcc_…); a rolled key, or one of a deleted connection, no longer works")
)

// ChannelKey authenticates a channel's push by its api-key header: the
// inbound key keycard issued for one connection. A missing, malformed or
// unknown key is a 403 and counts toward the client address's failure
// throttle, as a failed user key does; while the address cools off, such
// a push is a 429. A valid key is never refused for its address's
// failures.
func (a *Authenticator) ChannelKey(ctx context.Context, key string) (*store.InboundChannel, error) {
	ri := keycard.RequestInfoFrom(ctx)
	if key == "" {
		return nil, a.failed(ctx, ri.Addr, errChannelKeyMissing)
	}
	// Garbage and typos never reach the database.
	if !tokens.Valid(tokens.ChannelPrefix, key) {
		return nil, a.failed(ctx, ri.Addr, errChannelKey)
	}
	c, err := a.store.ChannelByInboundKey(ctx, key)
	if keycard.ErrorCode(err) == keycard.ENotFound {
		return nil, a.failed(ctx, ri.Addr, errChannelKey)
	}
	return c, err
}

// ChannelRefused counts a push whose key was valid but was refused all
// the same (it named another connection's hotel) toward the failure
// throttle, and returns err, or a 429 once the address is over the limit.
func (a *Authenticator) ChannelRefused(ctx context.Context, err error) error {
	return a.failed(ctx, keycard.RequestInfoFrom(ctx).Addr, err)
}
