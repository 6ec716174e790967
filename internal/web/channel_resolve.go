package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// resolveChannelEvent resolves an open unmapped_booking event of a
// channel from its form on the channel's page: each room's codes become a
// manual known mapping to the rate plan chosen, used for the channel's
// later bookings (the API's POST /channel_events/:id/resolve).
func (s *Server) resolveChannelEvent(w http.ResponseWriter, r *http.Request) error {
	p := keycard.PrincipalFrom(r.Context())
	id := r.PathValue("id")
	var sols []keycard.KnownMapping
	for i := 0; ; i++ {
		field := "room." + strconv.Itoa(i)
		if !r.PostForm.Has(field + ".room_type_code") {
			break
		}
		sols = append(sols, keycard.KnownMapping{RoomTypeCode: r.PostForm.Get(field + ".room_type_code"),
			RatePlanCode: r.PostForm.Get(field + ".rate_plan_code"),
			RatePlanID:   strings.ToLower(strings.TrimSpace(r.PostForm.Get(field + ".rate_plan_id")))})
	}
	var err error
	if len(sols) == 0 {
		err = keycard.Invalid("solutions", "choose a rate plan for each room")
	} else {
		_, _, err = s.store.ResolveChannelEvent(r.Context(), p, r.PathValue("event"), sols)
	}
	return s.afterChannelChange(w, r, id, "resolved", err)
}
