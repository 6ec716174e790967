package api

import (
	"net/http"

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
		errs := cp.Apply(cancellationPolicyChange(f), true, f.errs)
		return errs.Merge(cp.Validate(errs))
	}
	out, err := s.store.CreateCancellationPolicy(r.Context(), principal(r), propertyID, cancellationPolicyChange(f), f.errs)
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
	c := cancellationPolicyChange(f)
	out, err := s.store.UpdateCancellationPolicy(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
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

// cancellationPolicyChange decodes a cancellation policy body into a
// change, typed but not judged (the domain's CancellationPolicy.Apply
// does that), recording type errors in f.errs.
func cancellationPolicyChange(f *fields) *keycard.CancellationPolicyChange {
	c := &keycard.CancellationPolicyChange{PropertyID: f.strPtrOrEmpty("property_id")}
	if f.has("currency") && !isNull(f.raw("currency")) {
		c.Currency = f.strPtrOrEmpty("currency")
	}
	for _, m := range []struct {
		name string
		dst  **string
	}{
		{"title", &c.Title}, {"guarantee_payment_policy", &c.GuaranteePaymentPolicy},
		{"after_reservation_cancellation_logic", &c.AfterReservationCancellationLogic},
		{"cancellation_policy_logic", &c.CancellationPolicyLogic}, {"cancellation_policy_deadline_type", &c.CancellationPolicyDeadlineType},
		{"cancellation_policy_mode", &c.CancellationPolicyMode}, {"non_show_policy", &c.NonShowPolicy},
	} {
		*m.dst = f.strPtrOrEmpty(m.name)
	}
	c.DeadlineTypeNull = f.has("cancellation_policy_deadline_type") && isNull(f.raw("cancellation_policy_deadline_type"))
	var allow bool
	if f.boolean("allow_deadline_based_logic", &allow) {
		c.AllowDeadlineBasedLogic = &allow
	}
	if raw := f.raw("cancellation_policy_deadline"); raw != nil {
		if isNull(raw) {
			c.DeadlineSent = true
		} else if n, ok := wholeNumber(raw); !ok {
			f.errs.Add("cancellation_policy_deadline", "must be a whole number")
		} else {
			d := int(n)
			c.DeadlineSent, c.Deadline = true, &d
		}
	}
	if f.has("associated_rate_plan_ids") {
		var ids []string
		if f.stringList("associated_rate_plan_ids", &ids) {
			c.RatePlanIDs = &ids
		}
	}
	c.GuaranteePaymentAmount = f.raw("guarantee_payment_amount")
	c.AfterReservationCancellationAmount = f.raw("after_reservation_cancellation_amount")
	c.CancellationPolicyPenalty = f.raw("cancellation_policy_penalty")
	return c
}
