package client

import (
	"encoding/json"
	"fmt"
	"time"
)

// Timestamps in answers are UTC without a zone, as Channex writes them
// ("2026-12-01T09:30:00.123456"); a webhook event's carries a Z. The
// client's types hold them as time.Time, in UTC: each type with
// timestamps decodes them through the fields below, shadowing its own.

// parseTimestamp reads a timestamp of the API: RFC 3339, or UTC without a
// zone.
func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("keycard: timestamp %q: want 2006-01-02T15:04:05.000000 (UTC) or RFC 3339", s)
	}
	return t, nil
}

// timeField decodes a timestamp into *t; null or "" leaves it zero.
type timeField struct{ t *time.Time }

func (f timeField) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("keycard: timestamp: %w", err)
	}
	if s == nil || *s == "" {
		*f.t = time.Time{}
		return nil
	}
	t, err := parseTimestamp(*s)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}

// optTimeField decodes a timestamp that may be null into *t: nil for
// null.
type optTimeField struct{ t **time.Time }

func (f optTimeField) UnmarshalJSON(b []byte) error {
	var t time.Time
	if err := (timeField{&t}).UnmarshalJSON(b); err != nil {
		return err
	}
	*f.t = nil
	if !t.IsZero() {
		*f.t = &t
	}
	return nil
}
