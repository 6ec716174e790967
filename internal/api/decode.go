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
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, errNotAnObject()
	}
	env, _ := readFields(body) // an object: readBody checked its first byte
	raw, ok := env.get(root)
	if !ok || isNull(raw) {
		return nil, keycard.Errorf(keycard.EBadRequest, "the body must be a JSON object with a %q member", root)
	}
	f, ok := readFields(raw)
	if !ok {
		return nil, keycard.Invalid(root, "must be an object")
	}
	return f, nil
}

func errNotAnObject() error {
	return keycard.Errorf(keycard.EBadRequest, "the request body is not a valid JSON object")
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
		return nil, errNotAnObject()
	}
	return body, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// fields reads the members of a request object one by one, recording a
// message for each one of the wrong type, so that one 422 names every
// wrong field. Members not asked for are ignored, as Channex does.
type fields struct {
	members []member
	errs    keycard.FieldErrors
}

// member is one member of a JSON object; both alias the object's text
// unless the name had escapes.
type member struct {
	name  []byte
	value json.RawMessage
}

// readFields returns the fields of raw, part of a body that was checked
// to be valid JSON; false when raw is not an object.
func readFields(raw json.RawMessage) (*fields, bool) {
	members, ok := splitObject(nil, raw)
	if !ok {
		return nil, false
	}
	return &fields{members: members, errs: keycard.FieldErrors{}}, true
}

// get returns a member's value; the last of duplicates wins, as with
// encoding/json.
func (f *fields) get(name string) (json.RawMessage, bool) {
	for i := len(f.members) - 1; i >= 0; i-- {
		if string(f.members[i].name) == name {
			return f.members[i].value, true
		}
	}
	return nil, false
}

// has reports whether the member is present (even if null).
func (f *fields) has(name string) bool {
	_, ok := f.get(name)
	return ok
}

// raw returns a member's JSON, or nil when it is absent.
func (f *fields) raw(name string) json.RawMessage {
	raw, _ := f.get(name)
	return raw
}

// fail records a message for a member, making errs if need be (an ARI
// entry starts with none).
func (f *fields) fail(name, msg string) {
	if f.errs == nil {
		f.errs = keycard.FieldErrors{}
	}
	f.errs.Add(name, msg)
}

// str reads a string member into dst; null clears it.
func (f *fields) str(name string, dst *string) {
	raw, ok := f.get(name)
	if !ok {
		return
	}
	if isNull(raw) {
		*dst = ""
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		f.fail(name, "must be a string")
		return
	}
	if !keycard.ValidText(*dst) {
		*dst = ""
		f.fail(name, msgInvalidText)
	}
}

// msgInvalidText is the message for text with a NUL character.
const msgInvalidText = "contains a NUL character"

// strPtrOrEmpty reads a string member: nil when absent (or of the wrong
// type, which is recorded), "" for null.
func (f *fields) strPtrOrEmpty(name string) *string {
	if !f.has(name) {
		return nil
	}
	var s string
	f.str(name, &s)
	if f.errs.Has(name) {
		return nil
	}
	return &s
}

// strSent reads a string member as str reads it into a value not set yet:
// nil when absent or not a string (which is recorded), "" for null and
// for text str refuses (which is recorded too).
func (f *fields) strSent(name string) *string {
	raw, ok := f.get(name)
	if !ok {
		return nil
	}
	var s string
	if !isNull(raw) {
		if json.Unmarshal(raw, &s) != nil {
			f.fail(name, "must be a string")
			return nil
		}
		if !keycard.ValidText(s) {
			s = ""
			f.fail(name, msgInvalidText)
		}
	}
	return &s
}

// strPtr reads a string member into *dst, allocating it; null is an error.
func (f *fields) strPtr(name string) *string {
	if !f.has(name) {
		return nil
	}
	var s string
	if raw := f.raw(name); isNull(raw) || json.Unmarshal(raw, &s) != nil {
		f.fail(name, "must be a string")
		return nil
	}
	if !keycard.ValidText(s) {
		f.fail(name, msgInvalidText)
		return nil
	}
	return &s
}

// boolean reads a boolean member into dst; null is an error.
func (f *fields) boolean(name string, dst *bool) bool {
	raw, ok := f.get(name)
	if !ok {
		return false
	}
	if isNull(raw) || json.Unmarshal(raw, dst) != nil {
		f.fail(name, "must be true or false")
		return false
	}
	return true
}

// stringList reads an array of strings; null reads as empty.
func (f *fields) stringList(name string, dst *[]string) bool {
	raw, ok := f.get(name)
	if !ok {
		return false
	}
	var list []string
	if !isNull(raw) {
		if err := json.Unmarshal(raw, &list); err != nil {
			f.fail(name, "must be a list of strings")
			return false
		}
		for _, s := range list {
			if !keycard.ValidText(s) {
				f.fail(name, msgInvalidText)
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
	raw, ok := f.get(name)
	if !ok || isNull(raw) {
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' || json.Unmarshal(raw, dst) != nil {
		f.fail(name, msg)
		return false
	}
	return true
}

// splitObject appends the members of a JSON object that is known to be
// valid JSON (an entry of a body already checked) to dst, without checking
// it again. It reports false when raw is not an object.
func splitObject(dst []member, raw []byte) ([]member, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return dst, false
	}
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] != '}' {
		if raw[i] != '"' {
			return dst, false
		}
		end := stringEnd(raw, i)
		if end-1 <= i {
			return dst, false
		}
		name := raw[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(raw[i:end], &s) != nil {
				return dst, false
			}
			name = []byte(s)
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // the colon
		start := i
		i = valueEnd(raw, i)
		dst = append(dst, member{name, raw[start:i]})
		i = skipSpace(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return dst, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just after the value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}
