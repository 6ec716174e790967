package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

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
		"options": options, "auto_rate_settings": nil, "cancellation_policy_id": nil, "tax_set_id": nullable(rp.TaxSetID),
		"ui_read_only": false, "is_derived": rp.IsDerived(),
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
	list, total, err := s.store.ListRatePlans(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, rp := range list {
		items = append(items, ratePlanResource(rp, false))
	}
	return writeOrderedList(w, items, total, q)
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
	return writeData(w, http.StatusOK, ratePlanResource(rp, true))
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
	out, err := s.store.CreateRatePlan(r.Context(), principal(r), propertyID, func(rp *keycard.RatePlan) keycard.FieldErrors {
		applyRatePlan(f, rp, "")
		return f.errs
	})
	if err != nil {
		return err
	}
	return writeData(w, http.StatusCreated, ratePlanResource(out, true))
}

func (s *Server) updateRatePlan(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "rate_plan")
	if err != nil {
		return err
	}
	out, err := s.store.UpdateRatePlan(r.Context(), principal(r), r.PathValue("id"), func(rp *keycard.RatePlan) keycard.FieldErrors {
		unchangeable(f, "property_id", rp.PropertyID)
		applyRatePlan(f, rp, rp.ParentRatePlanID)
		return f.errs
	})
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, ratePlanResource(out, true))
}

func (s *Server) deleteRatePlan(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteRatePlan(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// applyRatePlan copies the members present in f onto rp, recording type
// errors in f.errs. oldParent is the plan's parent before the change ("" for
// a new plan): a plan that gains a parent inherits everything and becomes
// derived unless the request says otherwise, and one that loses it
// inherits nothing and becomes manual.
func applyRatePlan(f *fields, rp *keycard.RatePlan, oldParent string) {
	// The currency first: money is read in it.
	if f.has("currency") {
		f.str("currency", &rp.Currency)
		rp.Currency = strings.ToUpper(strings.TrimSpace(rp.Currency))
	}
	f.str("title", &rp.Title)
	rp.Title = strings.TrimSpace(rp.Title)
	for name, dst := range map[string]*string{"sell_mode": &rp.SellMode, "rate_mode": &rp.RateMode, "meal_type": &rp.MealType} {
		f.str(name, dst)
		*dst = strings.TrimSpace(*dst)
	}
	for name, dst := range map[string]*string{"room_type_id": &rp.RoomTypeID, "parent_rate_plan_id": &rp.ParentRatePlanID} {
		f.str(name, dst)
		*dst = strings.ToLower(strings.TrimSpace(*dst))
		if *dst != "" && !f.errs.Has(name) && !keycard.ValidID(*dst) {
			f.errs.Add(name, "is not a valid id")
		}
	}
	f.str("tax_set_id", &rp.TaxSetID)
	rp.TaxSetID = strings.ToLower(strings.TrimSpace(rp.TaxSetID))
	if rp.TaxSetID != "" && !f.errs.Has("tax_set_id") && !keycard.ValidID(rp.TaxSetID) {
		f.errs.Add("tax_set_id", "is not a valid id")
	}
	for name, dst := range map[string]*int64{"children_fee": &rp.ChildrenFee, "infant_fee": &rp.InfantFee} {
		raw := f.raw(name)
		switch {
		case raw == nil:
		case isNull(raw):
			*dst = 0
		default:
			v, msg := keycard.ParseMoney(raw, rp.Currency)
			if msg != "" {
				f.errs.Add(name, msg)
				continue
			}
			*dst = v
		}
	}
	for name, dst := range map[string]*[7]int{"max_stay": &rp.MaxStay, "min_stay_arrival": &rp.MinStayArrival, "min_stay_through": &rp.MinStayThrough} {
		weeklyInts(f, name, dst)
	}
	for name, dst := range map[string]*[7]bool{"closed_to_arrival": &rp.ClosedToArrival, "closed_to_departure": &rp.ClosedToDeparture, "stop_sell": &rp.StopSell} {
		weeklyBools(f, name, dst)
	}
	given := uint16(0)
	for _, flag := range keycard.InheritFlags {
		var v bool
		if f.boolean(flag.Name, &v) {
			given |= flag.Bit
			if v {
				rp.Inherit |= flag.Bit
			} else {
				rp.Inherit &^= flag.Bit
			}
		}
	}
	switch {
	case rp.ParentRatePlanID != "" && oldParent == "":
		rp.Inherit |= keycard.InheritAll &^ given
		if !f.has("rate_mode") {
			rp.RateMode = keycard.RateDerived
		}
	case rp.ParentRatePlanID == "" && oldParent != "":
		rp.Inherit &= given
		if !f.has("rate_mode") && rp.RateMode == keycard.RateDerived {
			rp.RateMode = keycard.RateManual
		}
	}
	if f.has("options") {
		rp.Options = readOptions(f, rp.Currency)
	}
}

// weeklyInts reads a weekday default: one whole number for every day, or
// a list of seven, Monday first.
func weeklyInts(f *fields, name string, dst *[7]int) {
	raw, ok := f.get(name)
	if !ok {
		return
	}
	if n, ok := wholeNumber(raw); ok {
		for i := range dst {
			dst[i] = int(n)
		}
		return
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil && len(list) == 7 {
		var out [7]int
		for i, item := range list {
			n, ok := wholeNumber(item)
			if !ok {
				f.errs.Add(name, "must be a whole number or a list of 7 whole numbers (Monday first)")
				return
			}
			out[i] = int(n)
		}
		*dst = out
		return
	}
	f.errs.Add(name, "must be a whole number or a list of 7 whole numbers (Monday first)")
}

// weeklyBools reads a weekday default: one boolean for every day, or a
// list of seven, Monday first.
func weeklyBools(f *fields, name string, dst *[7]bool) {
	raw, ok := f.get(name)
	if !ok {
		return
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil && !isNull(raw) {
		for i := range dst {
			dst[i] = b
		}
		return
	}
	var list []bool
	if json.Unmarshal(raw, &list) == nil && len(list) == 7 {
		copy(dst[:], list)
		return
	}
	f.errs.Add(name, "must be true or false, or a list of 7 of them (Monday first)")
}

// readOptions reads the options member: a list of {occupancy, is_primary,
// rate, derived_option}. A single option is primary unless it says
// otherwise.
func readOptions(f *fields, currency string) []keycard.RateOption {
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
	out := make([]keycard.RateOption, 0, len(list))
	for _, of := range options {
		var o keycard.RateOption
		if !of.has("occupancy") {
			of.errs.Add("occupancy", "can't be blank")
		}
		integer(of, "occupancy", &o.Occupancy)
		if !of.boolean("is_primary", &o.IsPrimary) && !of.has("is_primary") {
			o.IsPrimary = len(list) == 1
		}
		if raw := of.raw("rate"); raw != nil && !isNull(raw) {
			v, msg := keycard.ParseMoney(raw, currency)
			if msg != "" {
				of.errs.Add("rate", msg)
			}
			o.Rate = v
		}
		if raw := of.raw("derived_option"); raw != nil {
			d, msg := keycard.ParseDerivedOption(raw, currency)
			if msg != "" {
				f.errs.Add("options", msg)
			}
			o.Derived = d
		}
		for _, field := range slices.Sorted(maps.Keys(of.errs)) {
			for _, msg := range of.errs[field] {
				f.errs.Add("options", field+" "+msg)
			}
		}
		out = append(out, o)
	}
	return out
}
