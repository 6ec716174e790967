package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// policyAmount renders an amount of unit u, or null when its field needs
// none.
func policyAmount(n int64, u keycard.AmountUnit, currency string) *string {
	if u == keycard.NoAmount {
		return nil
	}
	s := keycard.FormatPolicyAmount(n, u, currency)
	return &s
}

func cancellationPolicyResource(cp *keycard.CancellationPolicy) resource {
	plans := make([]ref, 0, len(cp.RatePlanIDs))
	for _, id := range cp.RatePlanIDs {
		plans = append(plans, ref{Type: "rate_plan", ID: id})
	}
	return resource{Type: "cancellation_policy", ID: cp.ID,
		Attributes: map[string]any{
			"id": cp.ID, "title": cp.Title, "currency": cp.Currency, "property_id": cp.PropertyID,
			"guarantee_payment_policy":             cp.GuaranteePaymentPolicy,
			"guarantee_payment_amount":             policyAmount(cp.GuaranteePaymentAmount, cp.GuaranteeUnit(), cp.Currency),
			"after_reservation_cancellation_logic": cp.AfterReservationCancellationLogic,
			"after_reservation_cancellation_amount": policyAmount(cp.AfterReservationCancellationAmount, cp.AfterReservationUnit(),
				cp.Currency),
			"allow_deadline_based_logic":        cp.AllowDeadlineBasedLogic,
			"cancellation_policy_logic":         cp.CancellationPolicyLogic,
			"cancellation_policy_deadline":      cp.CancellationPolicyDeadline,
			"cancellation_policy_deadline_type": cp.CancellationPolicyDeadlineType,
			"cancellation_policy_mode":          nullable(cp.CancellationPolicyMode),
			"cancellation_policy_penalty":       policyAmount(cp.CancellationPolicyPenalty, cp.PenaltyUnit(), cp.Currency),
			"non_show_policy":                   cp.NonShowPolicy,
			"associated_rate_plan_ids":          cp.RatePlanIDs,
			"created_at":                        timestamp(cp.CreatedAt), "updated_at": timestamp(cp.UpdatedAt),
		},
		Relationships: map[string]any{
			"property":   relation{ref{Type: "property", ID: cp.PropertyID}},
			"rate_plans": relation{plans},
		},
	}
}

func (s *Server) listCancellationPolicies(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListCancellationPolicies(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, cp := range list {
		items = append(items, cancellationPolicyResource(cp))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getCancellationPolicy(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.store.CancellationPolicy(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, cancellationPolicyResource(cp))
}

// cancellationPolicyRequired are the members a new cancellation policy
// must have: the ones Channex refuses a policy without (its currency is
// the property's unless given).
var cancellationPolicyRequired = []string{"title", "guarantee_payment_policy", "cancellation_policy_logic"}

func (s *Server) createCancellationPolicy(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "cancellation_policy")
	if err != nil {
		return err
	}
	propertyID := requiredID(f, "property_id")
	for _, name := range cancellationPolicyRequired {
		if !f.has(name) {
			f.errs.Add(name, "can't be blank")
		}
	}
	if len(f.errs) > 0 {
		// Report every field at once, before the property is looked up.
		cp := &keycard.CancellationPolicy{Currency: "EUR", AfterReservationCancellationLogic: "free",
			CancellationPolicyDeadlineType: "days", NonShowPolicy: "default"}
		applyCancellationPolicy(f, cp, true)
		return f.errs.Merge(cp.Validate(f.errs))
	}
	out, err := s.store.CreateCancellationPolicy(r.Context(), principal(r), propertyID, func(cp *keycard.CancellationPolicy) keycard.FieldErrors {
		applyCancellationPolicy(f, cp, true)
		return f.errs
	})
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, cancellationPolicyResource(out))
}

func (s *Server) updateCancellationPolicy(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "cancellation_policy")
	if err != nil {
		return err
	}
	out, err := s.store.UpdateCancellationPolicy(r.Context(), principal(r), r.PathValue("id"), func(cp *keycard.CancellationPolicy) keycard.FieldErrors {
		unchangeable(f, "property_id", cp.PropertyID)
		applyCancellationPolicy(f, cp, false)
		return f.errs
	})
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, cancellationPolicyResource(out))
}

func (s *Server) deleteCancellationPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteCancellationPolicy(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// applyCancellationPolicy copies the members present in f onto cp. An
// amount's unit follows the field beside it (and money the currency), so
// the amounts are read last; one the request leaves out keeps the value it
// was written with, read anew in the unit and currency the change leaves
// (and refused if it no longer fits). An amount its field needs none of is
// dropped. isNew tells a new policy, which takes allow_deadline_based_logic
// from its logic unless the request gives it.
func applyCancellationPolicy(f *fields, cp *keycard.CancellationPolicy, isNew bool) {
	type amount struct {
		name string
		dst  *int64
		unit func() keycard.AmountUnit
		was  string // as written before the change; "" for none
	}
	amounts := []amount{
		{name: "guarantee_payment_amount", dst: &cp.GuaranteePaymentAmount, unit: cp.GuaranteeUnit},
		{name: "after_reservation_cancellation_amount", dst: &cp.AfterReservationCancellationAmount, unit: cp.AfterReservationUnit},
		{name: "cancellation_policy_penalty", dst: &cp.CancellationPolicyPenalty, unit: cp.PenaltyUnit},
	}
	for i := range amounts {
		a := &amounts[i]
		if u := a.unit(); u != keycard.NoAmount {
			a.was = keycard.FormatPolicyAmount(*a.dst, u, cp.Currency)
		}
	}

	if f.has("currency") && !isNull(f.raw("currency")) {
		f.str("currency", &cp.Currency)
		cp.Currency = strings.ToUpper(strings.TrimSpace(cp.Currency))
	}
	f.str("title", &cp.Title)
	cp.Title = strings.TrimSpace(cp.Title)
	for name, dst := range map[string]*string{
		"guarantee_payment_policy": &cp.GuaranteePaymentPolicy, "after_reservation_cancellation_logic": &cp.AfterReservationCancellationLogic,
		"cancellation_policy_logic": &cp.CancellationPolicyLogic, "cancellation_policy_deadline_type": &cp.CancellationPolicyDeadlineType,
		"cancellation_policy_mode": &cp.CancellationPolicyMode, "non_show_policy": &cp.NonShowPolicy,
	} {
		f.str(name, dst)
		*dst = strings.TrimSpace(*dst)
	}
	// A null deadline type is Channex's way of saying days.
	if cp.CancellationPolicyDeadlineType == "" && f.has("cancellation_policy_deadline_type") && isNull(f.raw("cancellation_policy_deadline_type")) {
		cp.CancellationPolicyDeadlineType = "days"
	}
	if !f.boolean("allow_deadline_based_logic", &cp.AllowDeadlineBasedLogic) && isNew {
		cp.AllowDeadlineBasedLogic = cp.HasDeadline()
	}
	if raw := f.raw("cancellation_policy_deadline"); raw != nil {
		if isNull(raw) {
			cp.CancellationPolicyDeadline = nil
		} else if n, ok := wholeNumber(raw); !ok {
			f.errs.Add("cancellation_policy_deadline", "must be a whole number")
		} else {
			d := int(n)
			cp.CancellationPolicyDeadline = &d
		}
	}
	if f.has("associated_rate_plan_ids") {
		f.stringList("associated_rate_plan_ids", &cp.RatePlanIDs)
		for i, id := range cp.RatePlanIDs {
			cp.RatePlanIDs[i] = strings.ToLower(strings.TrimSpace(id))
		}
	}

	for _, a := range amounts {
		u := a.unit()
		raw := f.raw(a.name)
		switch {
		case u == keycard.NoAmount:
			*a.dst = 0
			continue
		case raw == nil && a.was != "":
			raw, _ = json.Marshal(a.was)
		case raw == nil || isNull(raw):
			f.errs.Add(a.name, "can't be blank")
			continue
		}
		v, msg := keycard.ParsePolicyAmount(raw, u, cp.Currency)
		if msg != "" {
			f.errs.Add(a.name, msg)
			continue
		}
		*a.dst = v
	}
}

// unchangeable records an error when f changes a member that cannot
// change after creation, such as the property of a policy.
func unchangeable(f *fields, name, current string) {
	if !f.has(name) {
		return
	}
	var v string
	f.str(name, &v)
	if !f.errs.Has(name) && !strings.EqualFold(strings.TrimSpace(v), current) {
		f.errs.Add(name, "can't be changed")
	}
}
