package keycard

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The accepted values of a cancellation policy's enumerated fields
// (Channex's spellings).
var (
	// GuaranteePaymentPolicies say what a guest pays when booking: nothing,
	// some nights, a percent of the stay, or a fixed amount per booking or
	// per booked room.
	GuaranteePaymentPolicies = []string{"none", "nights_based", "percent_based", "fixed_per_booking", "fixed_per_booking_room"}
	// AfterReservationCancellationLogics say what a cancellation costs
	// once booked (until the deadline, when there is one): nothing, the
	// whole stay, the guarantee, some nights, or a percent of the stay.
	AfterReservationCancellationLogics = []string{"free", "non_refundable", "guarantee_amount", "nights_based", "percent_based"}
	// CancellationPolicyLogics say what changes at the deadline: nothing
	// (free), a penalty (deadline), or the whole stay (non_refundable).
	CancellationPolicyLogics = []string{"free", "deadline", "non_refundable"}
	// CancellationDeadlineTypes are the units of the deadline before
	// arrival.
	CancellationDeadlineTypes = []string{"days", "hours"}
	// CancellationPolicyModes are what the penalty after the deadline
	// counts: a percent of the stay, or nights.
	CancellationPolicyModes = []string{"percent", "nights"}
	// NonShowPolicies say what a no-show costs: as a cancellation after
	// the deadline (default), or the whole stay.
	NonShowPolicies = []string{"default", "total_price"}
)

// AmountUnit is what an amount of a cancellation policy counts, which the
// field beside it decides.
type AmountUnit uint8

// Amount units.
const (
	// NoAmount: the field beside it needs none (the amount is 0).
	NoAmount AmountUnit = iota
	// AmountNights counts whole nights.
	AmountNights
	// AmountPercent counts hundredths of a percent (5000 is 50 %).
	AmountPercent
	// AmountMoney counts minor units of the policy's currency.
	AmountMoney
)

// CancellationPolicy is a property's terms of cancellation, which its rate
// plans name with their cancellation_policy_id: the guarantee paid when
// booking, what a cancellation costs after booking, what changes at a
// deadline before arrival, and what a no-show costs. Each amount's unit
// follows the field it belongs to (see the Unit methods).
type CancellationPolicy struct {
	ID         string
	PropertyID string
	Title      string
	Currency   string

	GuaranteePaymentPolicy string
	GuaranteePaymentAmount int64

	AfterReservationCancellationLogic  string
	AfterReservationCancellationAmount int64

	AllowDeadlineBasedLogic bool
	CancellationPolicyLogic string
	// CancellationPolicyDeadline is how long before arrival the deadline
	// falls, in CancellationPolicyDeadlineType units; nil for none.
	CancellationPolicyDeadline     *int
	CancellationPolicyDeadlineType string
	CancellationPolicyMode         string // "" is null
	CancellationPolicyPenalty      int64

	NonShowPolicy string
	// RatePlanIDs are the rate plans that name the policy.
	RatePlanIDs []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GuaranteeUnit is what GuaranteePaymentAmount counts.
func (cp *CancellationPolicy) GuaranteeUnit() AmountUnit {
	switch cp.GuaranteePaymentPolicy {
	case "nights_based":
		return AmountNights
	case "percent_based":
		return AmountPercent
	case "fixed_per_booking", "fixed_per_booking_room":
		return AmountMoney
	}
	return NoAmount
}

// AfterReservationUnit is what AfterReservationCancellationAmount counts.
func (cp *CancellationPolicy) AfterReservationUnit() AmountUnit {
	switch cp.AfterReservationCancellationLogic {
	case "nights_based":
		return AmountNights
	case "percent_based":
		return AmountPercent
	}
	return NoAmount
}

// PenaltyUnit is what CancellationPolicyPenalty counts: only a deadline
// logic has a penalty.
func (cp *CancellationPolicy) PenaltyUnit() AmountUnit {
	if cp.CancellationPolicyLogic != "deadline" {
		return NoAmount
	}
	switch cp.CancellationPolicyMode {
	case "nights":
		return AmountNights
	case "percent":
		return AmountPercent
	}
	return NoAmount
}

// HasDeadline reports whether the policy's logic changes at a deadline.
func (cp *CancellationPolicy) HasDeadline() bool {
	return cp.CancellationPolicyLogic == "deadline" || cp.CancellationPolicyLogic == "non_refundable"
}

// Limits of a cancellation policy's numbers.
const (
	maxPolicyNights    = 365
	maxDeadlineDays    = 365
	maxDeadlineHours   = 365 * 24
	maxPolicyPercent   = 100_00
	cancellationTitles = 255
)

// Validate checks every field of cp and returns a validation Error naming
// each field that is wrong, or nil. Fields already in skip are not checked
// again. (The store checks that its rate plans are its property's.)
func (cp *CancellationPolicy) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(cp.Title, cancellationTitles))
	check("currency", currencyMessage(cp.Currency))
	required := func(field, v string, list []string) {
		if v == "" {
			check(field, "can't be blank")
		} else {
			check(field, oneOf(v, list))
		}
	}
	required("guarantee_payment_policy", cp.GuaranteePaymentPolicy, GuaranteePaymentPolicies)
	required("after_reservation_cancellation_logic", cp.AfterReservationCancellationLogic, AfterReservationCancellationLogics)
	required("cancellation_policy_logic", cp.CancellationPolicyLogic, CancellationPolicyLogics)
	required("cancellation_policy_deadline_type", cp.CancellationPolicyDeadlineType, CancellationDeadlineTypes)
	required("non_show_policy", cp.NonShowPolicy, NonShowPolicies)
	check("guarantee_payment_amount", amountMessage(cp.GuaranteePaymentAmount, cp.GuaranteeUnit()))
	check("after_reservation_cancellation_amount", amountMessage(cp.AfterReservationCancellationAmount, cp.AfterReservationUnit()))

	maxDeadline := maxDeadlineDays
	if cp.CancellationPolicyDeadlineType == "hours" {
		maxDeadline = maxDeadlineHours
	}
	switch d := cp.CancellationPolicyDeadline; {
	case d == nil && cp.HasDeadline():
		check("cancellation_policy_deadline", "can't be blank when cancellation_policy_logic is "+cp.CancellationPolicyLogic)
	case d != nil && cp.HasDeadline():
		check("cancellation_policy_deadline", between(*d, 1, maxDeadline))
	case d != nil:
		check("cancellation_policy_deadline", between(*d, 0, maxDeadline))
	}
	switch {
	case cp.CancellationPolicyMode != "":
		check("cancellation_policy_mode", oneOf(cp.CancellationPolicyMode, CancellationPolicyModes))
	case cp.CancellationPolicyLogic == "deadline":
		check("cancellation_policy_mode", "can't be blank when cancellation_policy_logic is deadline")
	}
	check("cancellation_policy_penalty", amountMessage(cp.CancellationPolicyPenalty, cp.PenaltyUnit()))
	for _, id := range cp.RatePlanIDs {
		if !ValidID(id) {
			check("associated_rate_plan_ids", "must be a list of rate plan ids")
			break
		}
	}
	return c.fe.Err()
}

// amountMessage returns what is wrong with an amount of unit u, or "".
func amountMessage(n int64, u AmountUnit) string {
	switch {
	case u == NoAmount:
		return ""
	case n <= 0:
		return "must be greater than 0"
	case u == AmountNights && n > maxPolicyNights:
		return "must be at most " + strconv.Itoa(maxPolicyNights) + " (nights)"
	case u == AmountPercent && n > maxPolicyPercent:
		return "must be at most 100 (percent)"
	}
	return ""
}

// ParsePolicyAmount reads an amount of unit u, written as a JSON number or
// a decimal string: nights whole ("2", 2), a percent with up to two
// decimals ("12.5", 12.5), money as ParseMoney reads it (minor units as an
// integer, or a decimal string in currency).
func ParsePolicyAmount(raw json.RawMessage, u AmountUnit, currency string) (int64, string) {
	switch u {
	case AmountPercent:
		return ParsePercent(raw)
	case AmountMoney:
		return ParseMoney(raw, currency)
	case AmountNights:
		s := strings.TrimSpace(string(raw))
		if s == "" || s == "null" {
			return 0, "can't be blank"
		}
		if s[0] == '"' {
			if err := json.Unmarshal(raw, &s); err != nil {
				return 0, "is invalid"
			}
			s = strings.TrimSpace(s)
		}
		n, msg := parseDecimal(s, 0)
		if msg == "has too many decimal places" {
			msg = "must be a whole number of nights"
		}
		return n, msg
	}
	return 0, ""
}

// FormatPolicyAmount writes an amount of unit u as a decimal string:
// nights "2", a percent "12.50", money as FormatMoney writes it.
func FormatPolicyAmount(n int64, u AmountUnit, currency string) string {
	switch u {
	case AmountPercent:
		return FormatPercent(n)
	case AmountMoney:
		return FormatMoney(n, currency)
	}
	return strconv.FormatInt(n, 10)
}
