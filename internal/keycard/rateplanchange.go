package keycard

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// RatePlanChange is a rate plan as a client sends it, decoded into types
// but not yet judged: a nil pointer, or a false ...Sent, is a member the
// body did not have. Money stays as sent, a JSON number of minor units or
// a decimal string: it is read in the plan's currency, which the change
// itself may set.
type RatePlanChange struct {
	// PropertyID is the property the body names, which can't change.
	PropertyID                                    *string
	Title, Currency, SellMode, RateMode, MealType *string
	RoomTypeID, ParentRatePlanID, TaxSetID        *string
	CancellationPolicyID                          *string
	// ChildrenFee and InfantFee are nil when not sent; JSON null is 0.
	ChildrenFee, InfantFee json.RawMessage
	// Weekday defaults, Monday first.
	MaxStay, MinStayArrival, MinStayThrough      *[7]int
	ClosedToArrival, ClosedToDeparture, StopSell *[7]bool
	// InheritSent holds the Field* bits of the inherit_* flags sent,
	// Inherit their values.
	InheritSent, Inherit uint16
	// OptionsSent replaces the options as a whole.
	OptionsSent bool
	Options     []RateOptionChange
}

// RateOptionChange is an occupancy option as sent.
type RateOptionChange struct {
	Occupancy *int
	// IsPrimary, when not sent, is true for the only option of a list.
	IsPrimary *bool
	// Rate is nil when not sent; nil or JSON null is 0.
	Rate json.RawMessage
	// DerivedOption is nil when not sent.
	DerivedOption json.RawMessage
	// DecodeErrs is what went wrong decoding each member of the option.
	DecodeErrs FieldErrors
}

// Apply writes c onto rp, each member sent replacing rp's (options as a
// whole), and records what breaks a rule of the values sent. rp is the
// plan as it stands: for a new one, NewRatePlan in its property's
// currency. A plan that gains a parent inherits everything and becomes
// derived unless the change says otherwise; one that loses it inherits
// nothing and becomes manual. errs holds what went wrong decoding the
// request (the rules skip those fields); Apply adds to it and returns it.
// The plan as a whole is judged by Check, which the store runs with its
// checks against other records (its room type, parent and tax set), as
// they must tell Check's messages from these.
func (rp *RatePlan) Apply(c *RatePlanChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	sameProperty(errs, c.PropertyID, rp.PropertyID)
	oldParent := rp.ParentRatePlanID
	// The currency first: money is read in it.
	if c.Currency != nil {
		rp.Currency = strings.ToUpper(strings.TrimSpace(*c.Currency))
	}
	for _, m := range []struct {
		v   *string
		dst *string
	}{{c.Title, &rp.Title}, {c.SellMode, &rp.SellMode}, {c.RateMode, &rp.RateMode}, {c.MealType, &rp.MealType}} {
		if m.v != nil {
			*m.dst = *m.v
		}
		*m.dst = strings.TrimSpace(*m.dst)
	}
	for _, m := range []struct {
		name string
		v    *string
		dst  *string
	}{
		{"room_type_id", c.RoomTypeID, &rp.RoomTypeID}, {"parent_rate_plan_id", c.ParentRatePlanID, &rp.ParentRatePlanID},
		{"tax_set_id", c.TaxSetID, &rp.TaxSetID}, {"cancellation_policy_id", c.CancellationPolicyID, &rp.CancellationPolicyID},
	} {
		if m.v != nil {
			*m.dst = *m.v
		}
		*m.dst = normalID(*m.dst)
		if *m.dst != "" && !errs.Has(m.name) && !ValidID(*m.dst) {
			errs.Add(m.name, "is not a valid id")
		}
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		dst  *int64
	}{{"children_fee", c.ChildrenFee, &rp.ChildrenFee}, {"infant_fee", c.InfantFee, &rp.InfantFee}} {
		switch {
		case m.raw == nil:
		case isJSONNull(m.raw):
			*m.dst = 0
		default:
			v, msg := ParseMoney(m.raw, rp.Currency)
			if msg != "" {
				errs.Add(m.name, msg)
				continue
			}
			*m.dst = v
		}
	}
	for _, m := range []struct{ v, dst *[7]int }{
		{c.MaxStay, &rp.MaxStay}, {c.MinStayArrival, &rp.MinStayArrival}, {c.MinStayThrough, &rp.MinStayThrough},
	} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	for _, m := range []struct{ v, dst *[7]bool }{
		{c.ClosedToArrival, &rp.ClosedToArrival}, {c.ClosedToDeparture, &rp.ClosedToDeparture}, {c.StopSell, &rp.StopSell},
	} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	rp.Inherit = rp.Inherit&^c.InheritSent | c.Inherit&c.InheritSent
	// A rate_mode that failed to decode was sent all the same.
	rateModeSent := c.RateMode != nil || errs.Has("rate_mode")
	switch {
	case rp.ParentRatePlanID != "" && oldParent == "":
		rp.Inherit |= InheritAll &^ c.InheritSent
		if !rateModeSent {
			rp.RateMode = RateDerived
		}
	case rp.ParentRatePlanID == "" && oldParent != "":
		rp.Inherit &= c.InheritSent
		if !rateModeSent && rp.RateMode == RateDerived {
			rp.RateMode = RateManual
		}
	}
	if c.OptionsSent {
		rp.Options = rateOptions(c.Options, rp.Currency, errs)
	}
	return errs
}

// rateOptions returns the options list describes, with their messages
// under "options": for each option, its derived_option's, then its
// members' by name.
func rateOptions(list []RateOptionChange, currency string, errs FieldErrors) []RateOption {
	out := make([]RateOption, 0, len(list))
	for _, in := range list {
		var o RateOption
		fe := in.DecodeErrs.Clone()
		switch {
		case in.Occupancy != nil:
			o.Occupancy = *in.Occupancy
		case !fe.Has("occupancy"):
			fe.Add("occupancy", MsgBlank)
		}
		switch {
		case in.IsPrimary != nil:
			o.IsPrimary = *in.IsPrimary
		case !fe.Has("is_primary"):
			o.IsPrimary = len(list) == 1
		}
		if in.Rate != nil && !isJSONNull(in.Rate) {
			v, msg := ParseMoney(in.Rate, currency)
			if msg != "" {
				fe.Add("rate", msg)
			}
			o.Rate = v
		}
		if in.DerivedOption != nil {
			d, msg := ParseDerivedOption(in.DerivedOption, currency)
			if msg != "" {
				errs.Add("options", msg)
			}
			o.Derived = d
		}
		for _, field := range slices.Sorted(maps.Keys(fe)) {
			for _, msg := range fe[field] {
				errs.Add("options", field+" "+msg)
			}
		}
		out = append(out, o)
	}
	return out
}
