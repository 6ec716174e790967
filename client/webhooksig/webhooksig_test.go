package webhooksig

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret := "whsec_test"
	body := []byte(`{"event":"ari"}`)
	sent := time.Unix(1_800_000_000, 0)
	header := Sign(secret, sent, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		want   error
	}{
		{"valid", secret, header, string(body), sent.Add(time.Minute), nil},
		{"tampered body", secret, header, `{"event":"booking"}`, sent, ErrMismatch},
		{"other secret", "whsec_other", header, string(body), sent, ErrMismatch},
		{"replayed after six minutes", secret, header, string(body), sent.Add(6 * time.Minute), ErrExpired},
		{"from the future", secret, header, string(body), sent.Add(-6 * time.Minute), ErrExpired},
		{"no v1", secret, "t=1800000000", string(body), sent, ErrMalformed},
		{"garbage", secret, "garbage", string(body), sent, ErrMalformed},
		{"bad hex", secret, "t=1800000000,v1=zz", string(body), sent, ErrMalformed},
		{"empty", secret, "", string(body), sent, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.header, []byte(tc.body), tc.now, 0)
			if !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}
