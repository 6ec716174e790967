package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// Messages of ARI warnings, in Channex's words where it has them.
const (
	msgNull    = "Should be a non null value or not existed field"
	msgInvalid = "is invalid"
	msgBlank   = keycard.MsgBlank
	msgDate    = keycard.MsgDate
)

// postAvailability is POST /availability: {"values": [{property_id,
// room_type_id, date | date_from + date_to, days, availability}, ...]}.
func (s *Server) postAvailability(w http.ResponseWriter, r *http.Request) error {
	return ariWrite(s, w, r, "availability", decodeAvailability,
		func(c *keycard.AvailabilityChange) string { return c.PropertyID }, s.store.ApplyAvailability)
}

// postRestrictions is POST /restrictions: {"values": [{property_id,
// rate_plan_id, date | date_from + date_to, days, rate | rates,
// min_stay_arrival, ...}, ...]}.
func (s *Server) postRestrictions(w http.ResponseWriter, r *http.Request) error {
	return ariWrite(s, w, r, "restrictions", decodeRestriction,
		func(c *keycard.RestrictionChange) string { return c.PropertyID }, s.store.ApplyRestrictions)
}

// ariWrite runs an ARI write: it decodes each entry, charges the route's
// per-property rate limit for the properties of those that decode, has the
// store apply them, and answers with the tasks and the warnings of both
// steps.
func ariWrite[C any](s *Server, w http.ResponseWriter, r *http.Request, route string,
	decode func(*entry, json.RawMessage) (C, keycard.FieldErrors), propertyOf func(C) string,
	apply func(context.Context, *keycard.Principal, []C) (*keycard.ARIResult, error)) error {
	entries, err := decodeValues(r)
	if err != nil {
		return err
	}
	decoded := make([]C, len(entries))
	warnings := make([]keycard.FieldErrors, len(entries))
	decodeEntries(len(entries), func(lo, hi int) {
		e := &entry{ids: map[string]string{}}
		for i := lo; i < hi; i++ {
			if c, fe := decode(e, entries[i]); len(fe) > 0 {
				warnings[i] = fe
			} else {
				decoded[i] = c
			}
		}
	})
	changes := make([]C, 0, len(entries))
	index := make([]int, 0, len(entries)) // entry of each change
	for i, c := range decoded {
		if warnings[i] == nil {
			changes, index = append(changes, c), append(index, i)
		}
	}
	properties := make([]string, len(changes))
	for i, c := range changes {
		properties[i] = propertyOf(c)
	}
	if err := s.chargeARI(w, r, route, properties); err != nil {
		return err
	}
	res, err := apply(r.Context(), principal(r), changes)
	if err != nil {
		return err
	}
	for j, fe := range res.Warnings {
		if len(fe) > 0 {
			warnings[index[j]] = fe
		}
	}
	tasks := make([]ref, 0, len(res.TaskIDs))
	for _, id := range res.TaskIDs {
		tasks = append(tasks, ref{Type: "task", ID: id})
	}
	var echoed []any
	for i, fe := range warnings {
		if len(fe) > 0 {
			echoed = append(echoed, echo(entries[i], fe))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Data []ref   `json:"data"`
		Meta ariMeta `json:"meta"`
	}{tasks, ariMeta{Message: "Success", Warnings: echoed}})
	return nil
}

// ariMeta is the meta of an ARI write; on a clean success the warnings
// member is absent, as in Channex.
type ariMeta struct {
	Message  string `json:"message"`
	Warnings []any  `json:"warnings,omitempty"`
}

// echo returns a refused entry as it was sent, with its reasons under
// "warning" (an entry that is not an object under "value").
func echo(raw json.RawMessage, fe keycard.FieldErrors) any {
	members, ok := splitObject(nil, raw)
	if !ok {
		return map[string]any{"value": raw, "warning": fe}
	}
	m := make(map[string]any, len(members)+1)
	for _, mb := range members {
		m[string(mb.name)] = mb.value // a later duplicate wins
	}
	m["warning"] = fe
	return m
}
