// Package webhooksig signs and verifies keycard's webhook deliveries. It is
// package github.com/keycard/keycard/client/webhooksig under its old path:
// the same functions, the same error values (errors.Is matches either). A
// receiver that does not build the server imports that one, whose module
// needs nothing of the server's dependencies.
//
// Every delivery carries the header
//
//	X-Keycard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the HMAC is keyed with the webhook's signing secret and computed
// over "<t>.<body>".
package webhooksig

import (
	"time"

	"github.com/keycard/keycard/client/webhooksig"
)

// Header is the name of the signature header.
const Header = webhooksig.Header

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock: five minutes.
const DefaultTolerance = webhooksig.DefaultTolerance

// Errors returned by Verify: the very values of the client's package.
var (
	ErrMalformed = webhooksig.ErrMalformed
	ErrMismatch  = webhooksig.ErrMismatch
	ErrExpired   = webhooksig.ErrExpired
)

// Sign returns the signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string { return webhooksig.Sign(secret, t, body) }

// Verify checks header (the X-Keycard-Signature value) against body and
// secret, and that its time lies within tolerance of now (DefaultTolerance
// when tolerance is 0). Several v1 values are accepted, any one matching.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	return webhooksig.Verify(secret, header, body, now, tolerance)
}
