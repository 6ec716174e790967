package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/keycard/keycard/internal/keycard"
)

// decodeValues reads {"values": [...]} and returns the entries as written.
func decodeValues(r *http.Request) ([]json.RawMessage, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	// One pass for the common case; a body it refuses is looked at again
	// to say why.
	if entries, ok := splitValues(body); ok {
		return entries, nil
	}
	var env struct {
		Values json.RawMessage `json:"values"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, keycard.Errorf(keycard.EBadRequest, "the request body is not a valid JSON object")
	}
	if len(env.Values) == 0 || isNull(env.Values) {
		return nil, &keycard.Error{Code: keycard.EBadRequest, Details: []string{"values is required"}}
	}
	return nil, keycard.Invalid("values", "must be a list of objects")
}

// splitValues checks that body is one valid JSON object and returns the
// items of its values array (matched as encoding/json matches a field
// name, the last one winning), each aliasing body. It reports false when
// body is not valid JSON or values is absent or not an array.
//
// A full sync is tens of thousands of entries: jsontext validates and
// splits the body in one pass, several times faster than encoding/json's
// Unmarshal into []json.RawMessage, and without copying the entries.
func splitValues(body []byte) ([]json.RawMessage, bool) {
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	var entries []json.RawMessage
	found := false
	for d.PeekKind() == '"' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, false
		}
		if !strings.EqualFold(name.String(), "values") {
			if d.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		found, entries = false, entries[:0]
		if d.PeekKind() != '[' {
			if d.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		d.ReadToken()
		for d.PeekKind() != ']' {
			v, err := d.ReadValue()
			if err != nil {
				return nil, false
			}
			end := int(d.InputOffset())
			entries = append(entries, json.RawMessage(body[end-len(v):end:end]))
		}
		if _, err := d.ReadToken(); err != nil {
			return nil, false
		}
		found = true
	}
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, false
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, false // something after the object
	}
	if !found {
		return nil, false
	}
	if entries == nil {
		entries = []json.RawMessage{}
	}
	return entries, true
}
