package keycard

import (
	"encoding/json"
	"strings"
)

// CancellationPolicyChange is a cancellation policy as a client sends it,
// decoded into types but not yet judged: a nil pointer (or a false
// ...Sent) is a member the body did not have. Amounts stay as sent: their
// unit follows the field beside them, which the change itself may set.
type CancellationPolicyChange struct {
	// PropertyID is the property the body names, which can't change.
	PropertyID *string
	// Currency is nil also when sent as null: the policy keeps its own.
	Currency *string
	Title    *string
	// The enumerated fields; JSON null reads as "".
	GuaranteePaymentPolicy, AfterReservationCancellationLogic, CancellationPolicyLogic *string
	CancellationPolicyDeadlineType, CancellationPolicyMode, NonShowPolicy              *string
	// DeadlineTypeNull reports cancellation_policy_deadline_type sent as
	// null, which Channex reads as days.
	DeadlineTypeNull        bool
	AllowDeadlineBasedLogic *bool
	// DeadlineSent reports cancellation_policy_deadline was sent;
	// Deadline is nil when it was null.
	DeadlineSent bool
	Deadline     *int
	RatePlanIDs  *[]string
	// The amounts, nil when not sent.
	GuaranteePaymentAmount, AfterReservationCancellationAmount, CancellationPolicyPenalty json.RawMessage
}

// Apply writes c onto cp (isNew for a policy being made, which starts from
// Channex's defaults): currency first, then the fields that say each
// amount's unit, then the amounts in those units. An amount not sent keeps
// the value it was written with, read again in its field's new unit; one
// whose field now needs it and has none is blank. errs holds what went
// wrong decoding the request; Apply adds what breaks a rule, and returns
// errs. The policy's own Validate, and the checks against other records,
// are the store's to run.
func (cp *CancellationPolicy) Apply(c *CancellationPolicyChange, isNew bool, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	if !isNew {
		propertyUnchanged(errs, c.PropertyID, cp.PropertyID)
	}
	type amount struct {
		name string
		dst  *int64
		unit func() AmountUnit
		raw  json.RawMessage
		was  string // as written before the change; "" for none
	}
	amounts := []amount{
		{name: "guarantee_payment_amount", dst: &cp.GuaranteePaymentAmount, unit: cp.GuaranteeUnit, raw: c.GuaranteePaymentAmount},
		{name: "after_reservation_cancellation_amount", dst: &cp.AfterReservationCancellationAmount, unit: cp.AfterReservationUnit,
			raw: c.AfterReservationCancellationAmount},
		{name: "cancellation_policy_penalty", dst: &cp.CancellationPolicyPenalty, unit: cp.PenaltyUnit, raw: c.CancellationPolicyPenalty},
	}
	for i := range amounts {
		a := &amounts[i]
		if u := a.unit(); u != NoAmount {
			a.was = FormatPolicyAmount(*a.dst, u, cp.Currency)
		}
	}
	if c.Currency != nil {
		cp.Currency = strings.ToUpper(strings.TrimSpace(*c.Currency))
	}
	for _, m := range []struct{ dst, v *string }{
		{&cp.Title, c.Title}, {&cp.GuaranteePaymentPolicy, c.GuaranteePaymentPolicy},
		{&cp.AfterReservationCancellationLogic, c.AfterReservationCancellationLogic},
		{&cp.CancellationPolicyLogic, c.CancellationPolicyLogic}, {&cp.CancellationPolicyDeadlineType, c.CancellationPolicyDeadlineType},
		{&cp.CancellationPolicyMode, c.CancellationPolicyMode}, {&cp.NonShowPolicy, c.NonShowPolicy},
	} {
		trimSent(m.dst, m.v)
	}
	// A null deadline type is Channex's way of saying days.
	if c.DeadlineTypeNull && cp.CancellationPolicyDeadlineType == "" {
		cp.CancellationPolicyDeadlineType = "days"
	}
	if c.AllowDeadlineBasedLogic != nil {
		cp.AllowDeadlineBasedLogic = *c.AllowDeadlineBasedLogic
	} else if isNew {
		cp.AllowDeadlineBasedLogic = cp.HasDeadline()
	}
	if c.DeadlineSent {
		cp.CancellationPolicyDeadline = c.Deadline
	}
	if c.RatePlanIDs != nil {
		cp.RatePlanIDs = make([]string, len(*c.RatePlanIDs))
		for i, id := range *c.RatePlanIDs {
			cp.RatePlanIDs[i] = strings.ToLower(strings.TrimSpace(id))
		}
	}
	for _, a := range amounts {
		u := a.unit()
		raw := a.raw
		switch {
		case u == NoAmount:
			*a.dst = 0
			continue
		case raw == nil && a.was != "":
			raw, _ = json.Marshal(a.was)
		case raw == nil || isJSONNull(raw):
			errs.Add(a.name, MsgBlank)
			continue
		}
		v, msg := ParsePolicyAmount(raw, u, cp.Currency)
		if msg != "" {
			errs.Add(a.name, msg)
			continue
		}
		*a.dst = v
	}
	return errs
}
