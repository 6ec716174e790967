package keycard

import "time"

// A leaked key: one a secret scanner found in public (GitHub's
// secret-scanning partner program, or `keycard key scan --report`).
const (
	// WithdrawnLeaked is the withdrawn_reason of a key withdrawn because
	// it was reported leaked.
	WithdrawnLeaked = "leaked"
	// AuditLeaked records a report of a live key; details say where it
	// was found and whether it was withdrawn.
	AuditLeaked = "api_key.leaked"
	// EventAPIKeyLeaked is the webhook event of a leaked key, sent to
	// the organisation's webhooks whose event_mask names it.
	EventAPIKeyLeaked = "api_key_leaked"
	// SecretTypeAPIKey is the secret type of a keycard API key in a
	// secret-scanning report.
	SecretTypeAPIKey = "keycard_api_key"
	// Labels of a secret-scanning answer.
	LabelTruePositive  = "true_positive"
	LabelFalsePositive = "false_positive"
	// MaxLeakURL bounds the URL kept for a leak.
	MaxLeakURL = 2048
)

// LeakReport is one secret a scanner reports: the token, the URL where it
// was found, and the scanner's name for where (GitHub's "source").
type LeakReport struct {
	Token  string
	URL    string
	Source string
}

// LeakedKey is a key of an organisation reported leaked, whose mark the
// owner has not dismissed yet.
type LeakedKey struct {
	ID        string
	Name      string
	Hint      string
	URL       string
	Withdrawn bool
	LeakedAt  time.Time
}
