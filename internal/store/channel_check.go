package store

import (
	"context"
	"strconv"

	"github.com/keycard/keycard/internal/keycard"
)

// ChannelStay is one booking of a channel's availability check: its
// dates and the codes of its rooms.
type ChannelStay struct {
	Arrival, Departure keycard.Date
	Rooms              []keycard.ChannelRoomCodes
}

// CheckChannelStays answers a channel's availability check (spec §1.9):
// for each stay, whether each of its rooms can be sold, its codes
// resolved through the connection's mappings. Rooms of one stay that ask
// for the same rate plan are checked together against what it can sell.
// It writes nothing and holds nothing. Codes that map to no rate plan are
// a validation error, not an unavailable room.
func (s *Store) CheckChannelStays(ctx context.Context, ch *InboundChannel, stays []ChannelStay) ([][]bool, error) {
	var m *keycard.ChannelMappings
	err := s.read(ctx, func(t *tx) error {
		var err error
		m, err = s.channelMappings(ctx, t, ch.ID, ch.PropertyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	fe := keycard.FieldErrors{}
	plans := make([][]string, len(stays))
	for i, st := range stays {
		for j, codes := range st.Rooms {
			_, rp := m.Resolve(codes)
			if rp == "" {
				fe.Add("rooms", "booking "+strconv.Itoa(i)+", room "+strconv.Itoa(j)+": room_type_code "+strconv.Quote(codes.RoomTypeCode)+
					" and rate_plan_code "+strconv.Quote(codes.RatePlanCode)+" map to no rate plan of this channel")
			}
			plans[i] = append(plans[i], rp)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	out := make([][]bool, len(stays))
	p := ch.Principal()
	for i, st := range stays {
		count := map[string]int{}
		for _, rp := range plans[i] {
			count[rp]++
		}
		ids := make([]string, 0, len(count))
		for rp := range count {
			ids = append(ids, rp)
		}
		grid, err := s.Restrictions(ctx, p, keycard.ARIQuery{PropertyID: ch.PropertyID, From: st.Arrival, To: st.Departure, IDs: ids})
		if err != nil {
			return nil, err
		}
		open := map[string]bool{}
		for _, o := range grid.Options {
			if o.ID == o.RatePlanID && count[o.RatePlanID] > 0 {
				open[o.RatePlanID] = keycard.StayOpen(o.Days, o.Availability, count[o.RatePlanID])
			}
		}
		for _, rp := range plans[i] {
			out[i] = append(out[i], open[rp])
		}
	}
	return out, nil
}
