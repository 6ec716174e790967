package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/keycard/keycard/client"
)

// apiErrorSentences say, for each code of the Channex error envelope, what
// went wrong in words a person at a terminal can act on.
var apiErrorSentences = map[string]string{
	client.CodeUnauthorized: `the server does not know your session (it expired after 24 hours, or was never made): run "keycard login"`,
	client.CodeForbidden:    "the server refused: you may not do this",
	client.CodeNotFound:     "not found: nothing with that id is yours to see (keycard key list shows your keys' ids)",
	client.CodeValidation:   "the server refused the values given",
	client.CodeRateLimited:  "too many requests: the server asks you to wait",
	client.CodeBadRequest:   "the server could not read the request",
	client.CodeTooLarge:     "the request is too large for the server",
	"internal_error":        "the server failed to answer (an internal error; its log says why)",
}

// cliAPIError turns an error of the Go client into one sentence a person
// can act on: the API's error codes in words, a validation error's fields
// as "field: message" lines, and a server that does not answer named, with
// the flag that sets it. Other errors are returned as they are.
func cliAPIError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*client.Error](err); ok {
		return errors.New(apiErrorText(e))
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		if _, ok := errors.AsType[*net.OpError](err); ok {
			server := ue.URL
			if u, perr := url.Parse(ue.URL); perr == nil {
				server = u.Scheme + "://" + u.Host
			}
			return fmt.Errorf("cannot reach the keycard server at %s (%v): is it running? (see --server of keycard login)", server, rootCause(err))
		}
		if ue.Timeout() {
			return fmt.Errorf("the keycard server at %s did not answer in time", ue.URL)
		}
	}
	return err
}

// apiErrorText writes e as a sentence, with its details.
func apiErrorText(e *client.Error) string {
	msg, known := apiErrorSentences[e.Code]
	if !known {
		msg = fmt.Sprintf("the server answered %d %s", e.Status, e.Code)
	}
	if e.Code == client.CodeRateLimited && e.RetryAfter > 0 {
		msg += fmt.Sprintf(" %s before trying again", e.RetryAfter.Round(1e9))
	}
	if fe := e.FieldErrors(); len(fe) > 0 {
		fields := make([]string, 0, len(fe))
		for f := range fe {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		var b strings.Builder
		b.WriteString(msg + ":")
		for _, f := range fields {
			for _, m := range fe[f] {
				b.WriteString("\n  " + f + ": " + m)
			}
		}
		return b.String()
	}
	var text string
	if json.Unmarshal(e.Details, &text) == nil && text != "" {
		// The server's own words say more than the code does: "only the
		// billing owner ...", "This API key has expired".
		return msg + ": " + text
	}
	return msg
}

// rootCause returns the innermost error of err's chain, such as
// "connect: connection refused".
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
