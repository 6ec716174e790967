package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// decodeEnvelope reads a JSON body of the form {"<root>": {...}} and returns
// the fields of the inner object. A body that is not JSON is a 400; a body
// over the limit is a 413 (the limit is set by the body-limit middleware).
func decodeEnvelope(r *http.Request, root string) (*fields, error) {
	var env map[string]json.RawMessage
	if err := decodeBody(r, &env); err != nil {
		return nil, err
	}
	raw, ok := env[root]
	if !ok || isNull(raw) {
		return nil, keycard.Errorf(keycard.EBadRequest, "the body must be a JSON object with a %q member", root)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, keycard.Invalid(root, "must be an object")
	}
	return &fields{m: m, errs: keycard.FieldErrors{}}, nil
}

// decodeBody decodes the whole body into v, which must take a JSON object.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if !json.Valid(body) || json.Unmarshal(body, v) != nil {
		return keycard.Errorf(keycard.EBadRequest, "the request body is not a valid JSON object")
	}
	return nil
}

// readBody returns the request body, trimmed, if it may be a JSON object:
// an empty body or one that does not start with "{" is a 400; one over the
// limit is the MaxBytesError the error mapper answers 413.
func readBody(r *http.Request) ([]byte, error) {
	// The buffer grows with what arrives, never with what the client
	// declares: sizing it from Content-Length let anyone (sign-in reads a
	// body too) make the server hold 10 MB per connection for a few bytes.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, keycard.Errorf(keycard.EBadRequest, "the request body could not be read")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, keycard.Errorf(keycard.EBadRequest, "the request body is empty; send a JSON object")
	}
	if body[0] != '{' {
		return nil, keycard.Errorf(keycard.EBadRequest, "the request body is not a valid JSON object")
	}
	return body, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// fields reads the members of a request object one by one, recording a
// message for each one of the wrong type, so that one 422 names every
// wrong field. Members not asked for are ignored, as Channex does.
type fields struct {
	m    map[string]json.RawMessage
	errs keycard.FieldErrors
}

// has reports whether the member is present (even if null).
func (f *fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

// raw returns a member's JSON, or nil when it is absent.
func (f *fields) raw(name string) json.RawMessage { return f.m[name] }

// str reads a string member into dst; null clears it.
func (f *fields) str(name string, dst *string) {
	raw, ok := f.m[name]
	if !ok {
		return
	}
	if isNull(raw) {
		*dst = ""
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		f.errs.Add(name, "must be a string")
		return
	}
	if !keycard.ValidText(*dst) {
		*dst = ""
		f.errs.Add(name, msgInvalidText)
	}
}

// msgInvalidText is the message for text with a NUL character.
const msgInvalidText = "contains a NUL character"

// strPtr reads a string member into *dst, allocating it; null is an error.
func (f *fields) strPtr(name string) *string {
	if !f.has(name) {
		return nil
	}
	var s string
	if raw := f.m[name]; isNull(raw) || json.Unmarshal(raw, &s) != nil {
		f.errs.Add(name, "must be a string")
		return nil
	}
	if !keycard.ValidText(s) {
		f.errs.Add(name, msgInvalidText)
		return nil
	}
	return &s
}

// boolean reads a boolean member into dst; null is an error.
func (f *fields) boolean(name string, dst *bool) bool {
	raw, ok := f.m[name]
	if !ok {
		return false
	}
	if isNull(raw) || json.Unmarshal(raw, dst) != nil {
		f.errs.Add(name, "must be true or false")
		return false
	}
	return true
}

// stringList reads an array of strings; null reads as empty.
func (f *fields) stringList(name string, dst *[]string) bool {
	raw, ok := f.m[name]
	if !ok {
		return false
	}
	var list []string
	if !isNull(raw) {
		if err := json.Unmarshal(raw, &list); err != nil {
			f.errs.Add(name, "must be a list of strings")
			return false
		}
		for _, s := range list {
			if !keycard.ValidText(s) {
				f.errs.Add(name, msgInvalidText)
				return false
			}
		}
	}
	if list == nil {
		list = []string{}
	}
	*dst = list
	return true
}

// object reads an object member into dst with encoding/json; a member of
// the wrong shape gets msg.
func (f *fields) object(name string, dst any, msg string) bool {
	raw, ok := f.m[name]
	if !ok || isNull(raw) {
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' || json.Unmarshal(raw, dst) != nil {
		f.errs.Add(name, msg)
		return false
	}
	return true
}
