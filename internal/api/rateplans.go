package api

import (
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// optionView is one occupancy option of a rate plan.
type optionView struct {
	ID                        string `json:"id"`
	Occupancy                 int    `json:"occupancy"`
	IsPrimary                 bool   `json:"is_primary"`
	Rate                      string `json:"rate"`
	DerivedOption             any    `json:"derived_option"`
	RateCategoryID            any    `json:"rate_category_id"`
	InheritRate               bool   `json:"inherit_rate"`
	InheritClosedToArrival    bool   `json:"inherit_closed_to_arrival"`
	InheritClosedToDeparture  bool   `json:"inherit_closed_to_departure"`
	InheritStopSell           bool   `json:"inherit_stop_sell"`
	InheritMinStayArrival     bool   `json:"inherit_min_stay_arrival"`
	InheritMinStayThrough     bool   `json:"inherit_min_stay_through"`
	InheritMaxStay            bool   `json:"inherit_max_stay"`
	InheritMaxSell            bool   `json:"inherit_max_sell"`
	InheritMaxAvailability    bool   `json:"inherit_max_availability"`
	InheritAvailabilityOffset bool   `json:"inherit_availability_offset"`
}

// ratePlanResource renders a rate plan. Lists leave out
// parent_rate_plan_id, as Channex's do (its /options carry it).
func ratePlanResource(rp *keycard.RatePlan, withParent bool) resource {
	inherit := func(bit uint16, o *keycard.RateOption) bool { return rp.Inherits(bit, o) }
	options := make([]optionView, 0, len(rp.Options))
	for i := range rp.Options {
		o := &rp.Options[i]
		v := optionView{ID: o.ID, Occupancy: o.Occupancy, IsPrimary: o.IsPrimary, Rate: keycard.FormatMoney(o.Rate, rp.Currency),
			InheritRate:               inherit(keycard.FieldRate, o),
			InheritClosedToArrival:    inherit(keycard.FieldClosedToArrival, o),
			InheritClosedToDeparture:  inherit(keycard.FieldClosedToDeparture, o),
			InheritStopSell:           inherit(keycard.FieldStopSell, o),
			InheritMinStayArrival:     inherit(keycard.FieldMinStayArrival, o),
			InheritMinStayThrough:     inherit(keycard.FieldMinStayThrough, o),
			InheritMaxStay:            inherit(keycard.FieldMaxStay, o),
			InheritMaxSell:            inherit(keycard.FieldMaxSell, o),
			InheritMaxAvailability:    inherit(keycard.FieldMaxAvailability, o),
			InheritAvailabilityOffset: inherit(keycard.FieldAvailabilityOffset, o),
		}
		if o.Derived != nil {
			v.DerivedOption = o.Derived.Render(rp.Currency)
		}
		options = append(options, v)
	}
	a := map[string]any{
		"id": rp.ID, "title": rp.Title, "meta": nil, "currency": rp.Currency,
		"sell_mode": rp.SellMode, "rate_mode": rp.RateMode, "meal_type": nullable(rp.MealType),
		"children_fee": keycard.FormatMoney(rp.ChildrenFee, rp.Currency), "infant_fee": keycard.FormatMoney(rp.InfantFee, rp.Currency),
		"max_stay": rp.MaxStay, "min_stay_arrival": rp.MinStayArrival, "min_stay_through": rp.MinStayThrough,
		"closed_to_arrival": rp.ClosedToArrival, "closed_to_departure": rp.ClosedToDeparture, "stop_sell": rp.StopSell,
		"options": options, "auto_rate_settings": nil, "tax_set_id": nullable(rp.TaxSetID),
		"cancellation_policy_id": nullable(rp.CancellationPolicyID), "ui_read_only": false, "is_derived": rp.IsDerived(),
		"created_at": timestamp(rp.CreatedAt), "updated_at": timestamp(rp.UpdatedAt),
	}
	for _, f := range keycard.InheritFlags {
		a[f.Name] = rp.IsDerived() && rp.Inherit&f.Bit != 0
	}
	if withParent {
		a["parent_rate_plan_id"] = nullable(rp.ParentRatePlanID)
	}
	rels := map[string]any{
		"property":  relation{ref{Type: "property", ID: rp.PropertyID}},
		"room_type": relation{ref{Type: "room_type", ID: rp.RoomTypeID}},
	}
	// A link that is not set is left out, not written as {"data": null}.
	if rp.TaxSetID != "" {
		rels["tax_set"] = relation{ref{Type: "tax_set", ID: rp.TaxSetID}}
	}
	return resource{Type: "rate_plan", ID: rp.ID, Attributes: a, Relationships: rels}
}

func (s *Server) listRatePlans(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	return s.cached(w, r, s.store.ViewVersion(), func(w http.ResponseWriter) error {
		list, total, err := s.store.ListRatePlans(r.Context(), principal(r), q)
		if err != nil {
			return err
		}
		items := make([]resource, 0, len(list))
		for _, rp := range list {
			items = append(items, ratePlanResource(rp, false))
		}
		if err := s.relate(r, items...); err != nil {
			return err
		}
		return writeOrderedList(w, items, total, q)
	})
}

// ratePlanOptions lists every occupancy option of every reachable rate
// plan, unpaginated: one item per option, whose id is the option's (the
// plan's for its primary option).
func (s *Server) ratePlanOptions(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, err := s.store.RatePlanOptions(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := []resource{}
	for _, rp := range list {
		for _, o := range rp.Options {
			items = append(items, resource{Type: "rate_plan", ID: o.ID, Attributes: map[string]any{
				"id": o.ID, "title": rp.Title, "occupancy": o.Occupancy, "is_primary": o.IsPrimary, "rate_plan_id": rp.ID,
				"parent_rate_plan_id": nullable(rp.ParentRatePlanID), "property_id": rp.PropertyID, "rate_category_id": nil,
				"room_type_id": rp.RoomTypeID, "sell_mode": rp.SellMode,
			}})
		}
	}
	warnIgnored(w, q)
	return writeData(w, http.StatusOK, items)
}

func (s *Server) getRatePlan(w http.ResponseWriter, r *http.Request) error {
	rp, err := s.store.RatePlan(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, ratePlanResource(rp, true))
}

func (s *Server) createRatePlan(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "rate_plan")
	if err != nil {
		return err
	}
	propertyID := requiredID(f, "property_id")
	if !f.has("room_type_id") {
		f.errs.Add("room_type_id", "can't be blank")
	}
	if !f.has("options") {
		f.errs.Add("options", "can't be blank")
	}
	if f.errs.Has("property_id") {
		// Without a property there is no currency to read the rest in.
		return f.errs.Err()
	}
	c := ratePlanChange(f)
	out, err := s.store.CreateRatePlan(r.Context(), principal(r), propertyID, c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, ratePlanResource(out, true))
}

func (s *Server) updateRatePlan(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "rate_plan")
	if err != nil {
		return err
	}
	c := ratePlanChange(f)
	c.PropertyID = f.strSent("property_id")
	out, err := s.store.UpdateRatePlan(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, ratePlanResource(out, true))
}

func (s *Server) deleteRatePlan(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteRatePlan(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// ratePlanChange decodes a rate plan body, but its property_id, into a
// change, typed but not judged (the domain's RatePlan.Apply does that),
// recording type errors in f.errs.
func ratePlanChange(f *fields) *keycard.RatePlanChange {
	c := &keycard.RatePlanChange{}
	for _, m := range []struct {
		name string
		dst  **string
	}{
		{"currency", &c.Currency}, {"title", &c.Title}, {"sell_mode", &c.SellMode}, {"rate_mode", &c.RateMode},
		{"meal_type", &c.MealType}, {"room_type_id", &c.RoomTypeID}, {"parent_rate_plan_id", &c.ParentRatePlanID},
		{"tax_set_id", &c.TaxSetID}, {"cancellation_policy_id", &c.CancellationPolicyID},
	} {
		*m.dst = f.strSent(m.name)
	}
	c.ChildrenFee, c.InfantFee = f.raw("children_fee"), f.raw("infant_fee")
	c.MaxStay, c.MinStayArrival, c.MinStayThrough = weeklyInts(f, "max_stay"), weeklyInts(f, "min_stay_arrival"), weeklyInts(f, "min_stay_through")
	c.ClosedToArrival, c.ClosedToDeparture, c.StopSell = weeklyBools(f, "closed_to_arrival"), weeklyBools(f, "closed_to_departure"), weeklyBools(f, "stop_sell")
	for _, flag := range keycard.InheritFlags {
		var v bool
		if f.boolean(flag.Name, &v) {
			c.InheritSent |= flag.Bit
			if v {
				c.Inherit |= flag.Bit
			}
		}
	}
	if f.has("options") {
		c.OptionsSent = true
		c.Options = readOptions(f)
	}
	return c
}

// weeklyInts reads a weekday default: one whole number for every day, or
// a list of seven, Monday first. It returns nil when the member is absent
// or of the wrong shape (which is recorded).
func weeklyInts(f *fields, name string) *[7]int {
	raw, ok := f.get(name)
	if !ok {
		return nil
	}
	var out [7]int
	if n, ok := wholeNumber(raw); ok {
		for i := range out {
			out[i] = int(n)
		}
		return &out
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil && len(list) == 7 {
		for i, item := range list {
			n, ok := wholeNumber(item)
			if !ok {
				f.errs.Add(name, "must be a whole number or a list of 7 whole numbers (Monday first)")
				return nil
			}
			out[i] = int(n)
		}
		return &out
	}
	f.errs.Add(name, "must be a whole number or a list of 7 whole numbers (Monday first)")
	return nil
}

// weeklyBools reads a weekday default: one boolean for every day, or a
// list of seven, Monday first. It returns nil when the member is absent
// or of the wrong shape (which is recorded).
func weeklyBools(f *fields, name string) *[7]bool {
	raw, ok := f.get(name)
	if !ok {
		return nil
	}
	var out [7]bool
	var b bool
	if json.Unmarshal(raw, &b) == nil && !isNull(raw) {
		for i := range out {
			out[i] = b
		}
		return &out
	}
	var list []bool
	if json.Unmarshal(raw, &list) == nil && len(list) == 7 {
		copy(out[:], list)
		return &out
	}
	f.errs.Add(name, "must be true or false, or a list of 7 of them (Monday first)")
	return nil
}

// readOptions reads the options member: a list of {occupancy, is_primary,
// rate, derived_option}, each with the type errors of its members; nil
// when it is not such a list (which is recorded).
func readOptions(f *fields) []keycard.RateOptionChange {
	const msg = "must be a list of occupancy options ({occupancy, is_primary, rate})"
	var list []json.RawMessage
	if raw := f.raw("options"); isNull(raw) || json.Unmarshal(raw, &list) != nil {
		f.errs.Add("options", msg)
		return nil
	}
	options := make([]*fields, len(list))
	for i, raw := range list {
		var ok bool
		if options[i], ok = readFields(raw); !ok && !isNull(raw) {
			f.errs.Add("options", msg)
			return nil
		}
		if !ok { // null: no members, as encoding/json reads it into a map
			options[i] = &fields{errs: keycard.FieldErrors{}}
		}
	}
	out := make([]keycard.RateOptionChange, 0, len(list))
	for _, of := range options {
		o := keycard.RateOptionChange{Occupancy: intSent(of, "occupancy"), Rate: of.raw("rate"), DerivedOption: of.raw("derived_option")}
		var primary bool
		if of.boolean("is_primary", &primary) {
			o.IsPrimary = &primary
		}
		o.DecodeErrs = of.errs
		out = append(out, o)
	}
	return out
}
