package webhooksig

import (
	"errors"
	"testing"
	"time"

	clientsig "github.com/keycard/keycard/client/webhooksig"
)

// TestSamePackage checks that the old path signs and verifies as the
// client's package does, and returns its error values.
func TestSamePackage(t *testing.T) {
	secret, body, now := "whsec_test", []byte(`{"event":"ari"}`), time.Unix(1_800_000_000, 0)
	if got, want := Sign(secret, now, body), clientsig.Sign(secret, now, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if err := Verify(secret, clientsig.Sign(secret, now, body), body, now, 0); err != nil {
		t.Errorf("Verify of a good signature: %v", err)
	}
	err := Verify("whsec_other", Sign(secret, now, body), body, now, 0)
	if !errors.Is(err, clientsig.ErrMismatch) || !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify with another secret = %v, want the client's ErrMismatch", err)
	}
	if Header != clientsig.Header {
		t.Errorf("Header = %q, want %q", Header, clientsig.Header)
	}
}
