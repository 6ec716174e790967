package clienttest

import (
	"context"
	"testing"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestCancellationPolicies makes a cancellation policy through the client,
// gives it to a rate plan, changes it, and deletes it, which leaves the
// plan without one.
func TestCancellationPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		h := newHotel(t, pms, "Hotel A")

		cp, err := pms.CreateCancellationPolicy(ctx, client.NewCancellationPolicy{PropertyID: h.property, Title: "Flexible",
			GuaranteePaymentPolicy: "percent_based", GuaranteePaymentAmount: "20", CancellationPolicyLogic: "deadline",
			CancellationPolicyDeadline: new(3), CancellationPolicyMode: "nights", CancellationPolicyPenalty: "1",
			NonShowPolicy: "total_price", AssociatedRatePlanIDs: []string{h.ratePlan}})
		if err != nil || cp.ID == "" || cp.Currency != "EUR" || cp.GuaranteePaymentAmount == nil || *cp.GuaranteePaymentAmount != "20.00" ||
			cp.CancellationPolicyDeadline == nil || *cp.CancellationPolicyDeadline != 3 || cp.CancellationPolicyDeadlineType != "days" ||
			cp.CancellationPolicyPenalty == nil || *cp.CancellationPolicyPenalty != "1" || !cp.AllowDeadlineBasedLogic ||
			cp.AfterReservationCancellationLogic != "free" || cp.AfterReservationCancellationAmount != nil || cp.CreatedAt.IsZero() {
			t.Fatalf("create: got %+v, %v; want the policy with its defaults", cp, err)
		}
		if rp, err := pms.RatePlan(ctx, h.ratePlan); err != nil || rp.CancellationPolicyID != cp.ID {
			t.Errorf("rate plan's policy: got %q, %v; want %s", rp.CancellationPolicyID, err, cp.ID)
		}
		cp2, err := pms.UpdateCancellationPolicy(ctx, cp.ID, client.CancellationPolicyChange{GuaranteePaymentPolicy: new("none"),
			NonShowPolicy: new("default")})
		if err != nil || cp2.GuaranteePaymentAmount != nil || cp2.NonShowPolicy != "default" || cp2.Title != "Flexible" ||
			len(cp2.AssociatedRatePlanIDs) != 1 {
			t.Errorf("update: got %+v, %v; want no guarantee, the rest kept", cp2, err)
		}
		if _, err := pms.UpdateCancellationPolicy(ctx, cp.ID, client.CancellationPolicyChange{CancellationPolicyMode: new("weeks")}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("a mode out of the enumeration: got %v, want validation_error", err)
		}
		if l := collect(t, pms.CancellationPolicies(ctx, client.ListOptions{Filters: map[string]string{"property_id": h.property}})); len(l) != 1 || l[0].ID != cp.ID {
			t.Errorf("list: got %+v, want the one policy", l)
		}

		// A plan takes the policy, and gives it up, on its own side too.
		if rp, err := pms.UpdateRatePlan(ctx, h.ratePlan, client.RatePlanChange{CancellationPolicyID: new("")}); err != nil || rp.CancellationPolicyID != "" {
			t.Errorf("rate plan gives its policy up: got %q, %v", rp.CancellationPolicyID, err)
		}
		if rp, err := pms.UpdateRatePlan(ctx, h.ratePlan, client.RatePlanChange{CancellationPolicyID: &cp.ID}); err != nil || rp.CancellationPolicyID != cp.ID {
			t.Errorf("rate plan takes the policy: got %q, %v", rp.CancellationPolicyID, err)
		}

		// Another property's key sees none of it.
		other := newHotel(t, pms, "Hotel B")
		onlyB := newKey(t, srv, "B only", other.property)
		if _, err := onlyB.CancellationPolicy(ctx, cp.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("B's key reading A's policy: got %v, want not found", err)
		}
		if _, err := onlyB.UpdateRatePlan(ctx, other.ratePlan, client.RatePlanChange{CancellationPolicyID: &cp.ID}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("B's plan naming A's policy: got %v, want validation_error", err)
		}

		if err := pms.DeleteCancellationPolicy(ctx, cp.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if rp, err := pms.RatePlan(ctx, h.ratePlan); err != nil || rp.CancellationPolicyID != "" {
			t.Errorf("rate plan after its policy went: got %q, %v; want none", rp.CancellationPolicyID, err)
		}
		if _, err := pms.CancellationPolicy(ctx, cp.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("deleted policy: got %v, want not found", err)
		}
	})
}
