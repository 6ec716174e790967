// Package keycard holds keycard's domain types, their validation and the
// error codes shared by every adapter (storage, JSON API, HTML UI).
package keycard

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes. They are the Channex error codes; the API maps each to its
// HTTP status and title.
const (
	EBadRequest   = "bad_request"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	ENotFound     = "resource_not_found"
	ETooLarge     = "payload_too_large"
	EInvalid      = "validation_error"
	ERateLimited  = "http_too_many_requests"
	EInternal     = "internal_error"
)

// Error is an error that is safe to show to the caller: its code, its
// optional details and its message contain nothing internal.
type Error struct {
	Code string
	// Details is the Channex "details" member: a string, a list of strings,
	// or FieldErrors. Nil leaves it out.
	Details any
	// RetryAfter, for ERateLimited, is how long until a retry may pass.
	RetryAfter time.Duration
	// Title, when set, replaces the code's standard title (the Channex
	// "title" member), for an error the caller must tell apart from
	// others of its code.
	Title string
}

func (e *Error) Error() string {
	if e.Details == nil {
		return "keycard: " + e.Code
	}
	return fmt.Sprintf("keycard: %s: %v", e.Code, e.Details)
}

// Errorf returns an Error with the given code whose details are the
// formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Details: fmt.Sprintf(format, args...)}
}

// NotFound returns the error for a resource that does not exist or is out
// of the caller's reach; the two are answered alike on purpose.
func NotFound() *Error { return &Error{Code: ENotFound} }

// ErrorCode returns the code of err's Error, or EInternal when err carries
// none.
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EInternal
}

// FieldErrors maps a field name to its validation messages, the "details"
// shape of a Channex 422.
type FieldErrors map[string][]string

// Add records msg against field.
func (fe FieldErrors) Add(field, msg string) { fe[field] = append(fe[field], msg) }

// Clone returns a copy of fe that can be added to without changing fe.
func (fe FieldErrors) Clone() FieldErrors {
	out := make(FieldErrors, len(fe))
	for k, v := range fe {
		out[k] = slices.Clone(v)
	}
	return out
}

// Has reports whether field already has a message.
func (fe FieldErrors) Has(field string) bool { return len(fe[field]) > 0 }

// Err returns a validation Error carrying fe, or nil when fe is empty.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Details: fe}
}

// Invalid returns a validation Error with one message for one field.
func Invalid(field, msg string) *Error {
	return &Error{Code: EInvalid, Details: FieldErrors{field: {msg}}}
}

// Merge returns one validation Error holding fe and the field errors of
// err (a validation Error or nil); any other err is returned as it is.
func (fe FieldErrors) Merge(err error) error {
	all := FieldErrors{}
	for f, msgs := range fe {
		all[f] = append(all[f], msgs...)
	}
	if err != nil {
		var details FieldErrors
		if e, ok := errors.AsType[*Error](err); ok {
			details, _ = e.Details.(FieldErrors)
		}
		if details == nil {
			return err
		}
		for f, msgs := range details {
			all[f] = append(all[f], msgs...)
		}
	}
	return all.Err()
}

// checker collects validation messages field by field, leaving out the
// fields that already failed to decode (those in skip).
type checker struct {
	fe, skip FieldErrors
}

func newChecker(skip FieldErrors) *checker { return &checker{fe: FieldErrors{}, skip: skip} }

// check records msg against field, unless msg is empty or the field is
// skipped.
func (c *checker) check(field, msg string) {
	if msg != "" && !c.skip.Has(field) {
		c.fe.Add(field, msg)
	}
}

// ValidText reports whether s can be stored as text by both databases:
// valid UTF-8 without NUL characters (PostgreSQL refuses both).
func ValidText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// ErrInvalidText is the error for text ValidText refuses.
var ErrInvalidText = Errorf(EBadRequest, "text must be valid UTF-8 without NUL characters")
