// Package webhooksig signs and verifies keycard's webhook deliveries.
//
// Every delivery carries the header
//
//	X-Keycard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the HMAC is keyed with the webhook's signing secret and computed
// over "<t>.<body>". A receiver checks it with Verify, which also refuses
// a signature older (or newer) than the tolerance, so that a recorded
// delivery cannot be replayed later.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the signature header.
const Header = "X-Keycard-Signature"

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock: five minutes.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify.
var (
	ErrMalformed = errors.New("webhooksig: malformed signature header")
	ErrMismatch  = errors.New("webhooksig: signature does not match the body")
	ErrExpired   = errors.New("webhooksig: signature time is outside the tolerance")
)

// Sign returns the signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks header (the X-Keycard-Signature value) against body and
// secret, and that its time lies within tolerance of now (DefaultTolerance
// when tolerance is 0). Several v1 values are accepted, any one matching.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrMismatch
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrExpired
	}
	return nil
}
