package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const cancellationPolicyColumns = `cp.id, cp.property_id, cp.title, cp.currency, cp.guarantee_payment_policy, cp.guarantee_payment_amount,
	cp.after_reservation_cancellation_logic, cp.after_reservation_cancellation_amount, cp.allow_deadline_based_logic,
	cp.cancellation_policy_logic, cp.cancellation_policy_deadline, cp.cancellation_policy_deadline_type, cp.cancellation_policy_mode,
	cp.cancellation_policy_penalty, cp.non_show_policy, cp.created_at, cp.updated_at`

var cancellationPolicyFields = map[string]column{
	"id":                        {expr: "cp.id"},
	"title":                     {expr: "cp.title"},
	"property_id":               {expr: "cp.property_id"},
	"guarantee_payment_policy":  {expr: "cp.guarantee_payment_policy"},
	"cancellation_policy_logic": {expr: "cp.cancellation_policy_logic"},
	"non_show_policy":           {expr: "cp.non_show_policy"},
	"created_at":                {expr: "cp.created_at", kind: kindTime},
	"updated_at":                {expr: "cp.updated_at", kind: kindTime},
}

func scanCancellationPolicy(row scanner) (*keycard.CancellationPolicy, error) {
	var cp keycard.CancellationPolicy
	var deadline sql.NullInt64
	var created, updated int64
	err := row.Scan(&cp.ID, &cp.PropertyID, &cp.Title, &cp.Currency, &cp.GuaranteePaymentPolicy, &cp.GuaranteePaymentAmount,
		&cp.AfterReservationCancellationLogic, &cp.AfterReservationCancellationAmount, &cp.AllowDeadlineBasedLogic,
		&cp.CancellationPolicyLogic, &deadline, &cp.CancellationPolicyDeadlineType, &cp.CancellationPolicyMode,
		&cp.CancellationPolicyPenalty, &cp.NonShowPolicy, &created, &updated)
	if err != nil {
		return nil, err
	}
	if deadline.Valid {
		d := int(deadline.Int64)
		cp.CancellationPolicyDeadline = &d
	}
	cp.CreatedAt, cp.UpdatedAt = fromMicros(created), fromMicros(updated)
	cp.RatePlanIDs = []string{}
	return &cp, nil
}

func cancellationPolicyValues(cp *keycard.CancellationPolicy) (string, []any) {
	var deadline any
	if cp.CancellationPolicyDeadline != nil {
		deadline = int64(*cp.CancellationPolicyDeadline)
	}
	return `title, currency, guarantee_payment_policy, guarantee_payment_amount, after_reservation_cancellation_logic,
		after_reservation_cancellation_amount, allow_deadline_based_logic, cancellation_policy_logic, cancellation_policy_deadline,
		cancellation_policy_deadline_type, cancellation_policy_mode, cancellation_policy_penalty, non_show_policy, updated_at`,
		[]any{cp.Title, cp.Currency, cp.GuaranteePaymentPolicy, cp.GuaranteePaymentAmount, cp.AfterReservationCancellationLogic,
			cp.AfterReservationCancellationAmount, cp.AllowDeadlineBasedLogic, cp.CancellationPolicyLogic, deadline,
			cp.CancellationPolicyDeadlineType, cp.CancellationPolicyMode, cp.CancellationPolicyPenalty, cp.NonShowPolicy,
			micros(cp.UpdatedAt)}
}

// cancellationPolicies are not read by a property's representation (its
// rate plans name them), so their own writes change no cached property.
var cancellationPolicies = &owned[*keycard.CancellationPolicy]{
	name: "cancellation policy", table: "cancellation_policies", alias: "cp", columns: cancellationPolicyColumns,
	fields: cancellationPolicyFields, order: "cp.title ASC, cp.id ASC", scan: scanCancellationPolicy, values: cancellationPolicyValues,
	ident: func(cp *keycard.CancellationPolicy) (string, string) { return cp.ID, cp.PropertyID },
	check: checkCancellationPolicy, load: loadCancellationPolicyPlans, save: saveCancellationPolicyPlans,
}

// ListCancellationPolicies returns a page of the cancellation policies of
// the properties p reaches, and their total.
func (s *Store) ListCancellationPolicies(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.CancellationPolicy, int, error) {
	return cancellationPolicies.list(ctx, s, p, q)
}

// CancellationPolicy returns a cancellation policy of a property p
// reaches.
func (s *Store) CancellationPolicy(ctx context.Context, p *keycard.Principal, id string) (*keycard.CancellationPolicy, error) {
	return cancellationPolicies.one(ctx, s, p, id)
}

// CreateCancellationPolicy creates a cancellation policy of a property p
// reaches, and makes it the policy of the rate plans it names: c applied
// by keycard's rules (decodeErrs is what went wrong decoding it) to a
// policy in the property's currency with Channex's defaults.
func (s *Store) CreateCancellationPolicy(ctx context.Context, p *keycard.Principal, propertyID string,
	c *keycard.CancellationPolicyChange, decodeErrs keycard.FieldErrors) (*keycard.CancellationPolicy, error) {
	return cancellationPolicies.create(ctx, s, p, propertyID, func(id, propertyID, currency string, now time.Time) *keycard.CancellationPolicy {
		return &keycard.CancellationPolicy{ID: id, PropertyID: propertyID, Currency: currency,
			AfterReservationCancellationLogic: "free", CancellationPolicyDeadlineType: "days", NonShowPolicy: "default",
			RatePlanIDs: []string{}, CreatedAt: now, UpdatedAt: now}
	}, func(cp *keycard.CancellationPolicy) keycard.FieldErrors { return cp.Apply(c, true, decodeErrs.Clone()) })
}

// UpdateCancellationPolicy loads a cancellation policy p reaches, applies
// c to it by keycard's rules (decodeErrs is what went wrong decoding c),
// checks and saves it with its rate plans, in one transaction.
func (s *Store) UpdateCancellationPolicy(ctx context.Context, p *keycard.Principal, id string,
	c *keycard.CancellationPolicyChange, decodeErrs keycard.FieldErrors) (*keycard.CancellationPolicy, error) {
	return cancellationPolicies.update(ctx, s, p, id, func(cp *keycard.CancellationPolicy, now time.Time) { cp.UpdatedAt = now },
		func(cp *keycard.CancellationPolicy) keycard.FieldErrors {
			return cp.Apply(c, false, decodeErrs.Clone())
		})
}

// DeleteCancellationPolicy deletes a cancellation policy p reaches; the
// rate plans that named it have none after.
func (s *Store) DeleteCancellationPolicy(ctx context.Context, p *keycard.Principal, id string) error {
	return cancellationPolicies.remove(ctx, s, p, id, `UPDATE rate_plans SET cancellation_policy_id = NULL WHERE cancellation_policy_id = ?`)
}

// checkCancellationPolicy validates cp and checks that its rate plans are
// its property's, leaving out the fields in skip.
func checkCancellationPolicy(ctx context.Context, t *tx, cp *keycard.CancellationPolicy, skip keycard.FieldErrors) error {
	cp.RatePlanIDs = keycard.TrimIDs(cp.RatePlanIDs)
	if err := cp.Validate(skip); err != nil {
		return err
	}
	if len(cp.RatePlanIDs) == 0 || skip.Has("associated_rate_plan_ids") {
		return nil
	}
	var n int
	err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans WHERE property_id = ? AND id IN (`+placeholders(len(cp.RatePlanIDs))+`)`,
		append([]any{cp.PropertyID}, anys(cp.RatePlanIDs)...)...).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: check cancellation policy rate plans: %w", err)
	}
	if n != len(cp.RatePlanIDs) {
		return keycard.Invalid("associated_rate_plan_ids", "must be rate plans of the property")
	}
	return nil
}

// loadCancellationPolicyPlans fills in the rate plans that name each of
// policies.
func loadCancellationPolicyPlans(ctx context.Context, t *tx, policies []*keycard.CancellationPolicy) error {
	byID := make(map[string]*keycard.CancellationPolicy, len(policies))
	ids := make([]string, 0, len(policies))
	for _, cp := range policies {
		byID[cp.ID] = cp
		ids = append(ids, cp.ID)
	}
	rows, err := t.Query(ctx, `SELECT cancellation_policy_id, id FROM rate_plans WHERE cancellation_policy_id IN (`+placeholders(len(ids))+`)
		ORDER BY title, id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: cancellation policy rate plans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var policyID, planID string
		if err := rows.Scan(&policyID, &planID); err != nil {
			return err
		}
		byID[policyID].RatePlanIDs = append(byID[policyID].RatePlanIDs, planID)
	}
	return rows.Err()
}

// saveCancellationPolicyPlans makes cp the policy of exactly the rate plans
// it names (taking them from any other policy).
func saveCancellationPolicyPlans(ctx context.Context, t *tx, cp *keycard.CancellationPolicy) error {
	t.changed(changeView) // a rate plan reads its policy's id
	args := append([]any{cp.ID}, anys(cp.RatePlanIDs)...)
	release := `UPDATE rate_plans SET cancellation_policy_id = NULL WHERE cancellation_policy_id = ?`
	if len(cp.RatePlanIDs) > 0 {
		// (With no ids, NOT IN () would not parse.)
		release += ` AND id NOT IN (` + placeholders(len(cp.RatePlanIDs)) + `)`
	}
	if _, err := t.Exec(ctx, release, args...); err != nil {
		return fmt.Errorf("store: release rate plans: %w", err)
	}
	if len(cp.RatePlanIDs) > 0 {
		_, err := t.Exec(ctx, `UPDATE rate_plans SET cancellation_policy_id = ? WHERE id IN (`+placeholders(len(cp.RatePlanIDs))+`)`, args...)
		if err != nil {
			return fmt.Errorf("store: associate rate plans: %w", err)
		}
	}
	return nil
}
