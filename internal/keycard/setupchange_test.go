package keycard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// checkApplied fails t unless errs names exactly the fields of want, each
// with a message holding want's text.
func checkApplied(t *testing.T, errs FieldErrors, want map[string]string) {
	t.Helper()
	for field, text := range want {
		if !slices.ContainsFunc(errs[field], func(m string) bool { return strings.Contains(m, text) }) {
			t.Errorf("%s: got %q, want a message with %q", field, errs[field], text)
		}
	}
	for field, msgs := range errs {
		if _, ok := want[field]; !ok {
			t.Errorf("%s: got %q, want no message", field, msgs)
		}
	}
}

const propertyP1 = "0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a10"

// validPolicyChange is a whole new hotel policy.
func validPolicyChange() *HotelPolicyChange {
	return &HotelPolicyChange{
		Title: new(" House rules "), MaxCountOfGuests: new(4), CheckinTime: new("14:00:00"), CheckoutTime: new("11:00"),
		InternetAccessType: new("wifi"), ParkingType: new("none"), PetsPolicy: new("allowed"), SmokingPolicy: new("no_smoking"),
	}
}

func TestHotelPolicyApply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *HotelPolicyChange)
		decode FieldErrors // what failed to decode
		want   map[string]string
		check  func(t *testing.T, hp *HotelPolicy)
	}{
		{name: "valid: trimmed, seconds dropped", check: func(t *testing.T, hp *HotelPolicy) {
			if hp.Title != "House rules" || hp.CheckinTime != "14:00" || hp.Currency != "EUR" {
				t.Errorf("got title %q, check-in %q, currency %q; want House rules, 14:00, EUR", hp.Title, hp.CheckinTime, hp.Currency)
			}
		}},
		{name: "money read in the currency sent", change: func(c *HotelPolicyChange) {
			c.Currency, c.PetsNonRefundableFee, c.InternetAccessCost = new(" jpy "), json.RawMessage(`"1500"`), json.RawMessage(`"3"`)
		}, check: func(t *testing.T, hp *HotelPolicy) {
			if hp.Currency != "JPY" || hp.PetsNonRefundableFee != 1500 || hp.InternetAccessCost == nil || *hp.InternetAccessCost != 3 {
				t.Errorf("got %s, fee %d, cost %v; want JPY, 1500, 3", hp.Currency, hp.PetsNonRefundableFee, hp.InternetAccessCost)
			}
		}},
		{name: "refundable_deposit read when pets_refundable_deposit is not sent", change: func(c *HotelPolicyChange) {
			c.RefundableDeposit = json.RawMessage(`"x"`)
		}, want: map[string]string{"refundable_deposit": "is invalid"}},
		{name: "pets_refundable_deposit wins", change: func(c *HotelPolicyChange) {
			c.PetsRefundableDeposit, c.RefundableDeposit = json.RawMessage(`"12.50"`), json.RawMessage(`"x"`)
		}, check: func(t *testing.T, hp *HotelPolicy) {
			if hp.PetsRefundableDeposit != 1250 {
				t.Errorf("got deposit %d, want 1250", hp.PetsRefundableDeposit)
			}
		}},
		{name: "bad values", change: func(c *HotelPolicyChange) {
			c.Title, c.CheckoutTime, c.PetsPolicy, c.MaxCountOfGuests = new(" "), new("25:00"), new("sometimes"), new(0)
			c.InternetAccessCost = json.RawMessage(`-100`)
		}, want: map[string]string{"title": "can't be blank", "checkout_time": "HH:MM", "pets_policy": "is not included in the list",
			"max_count_of_guests": "must be greater than 0", "internet_access_cost": "must not be negative"}},
		{name: "a field that failed to decode is not judged again", change: func(c *HotelPolicyChange) { c.SmokingPolicy = nil },
			decode: FieldErrors{"smoking_policy": {"must be a string"}}, want: map[string]string{"smoking_policy": "must be a string"}},
		{name: "the property cannot change", change: func(c *HotelPolicyChange) { c.PropertyID = new("a0b5c3f5-7c4e-4ac4-9d28-6d1f0a4d7a10") },
			want: map[string]string{"property_id": "can't be changed"}},
		{name: "naming its own property is no change", change: func(c *HotelPolicyChange) { c.PropertyID = new(" " + strings.ToUpper(propertyP1)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validPolicyChange()
			if tc.change != nil {
				tc.change(c)
			}
			hp := &HotelPolicy{PropertyID: propertyP1, Currency: "EUR"}
			errs := hp.Apply(c, tc.decode)
			checkApplied(t, errs, tc.want)
			if tc.check != nil {
				tc.check(t, hp)
			}
		})
	}
}

func TestTaxApply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before *Tax // nil: a new tax in EUR
		change TaxChange
		want   map[string]string
		check  func(t *testing.T, tx *Tax)
	}{
		{name: "a new tax is a percent tax", change: TaxChange{Title: new(" VAT "), Rate: json.RawMessage(`12.5`)},
			check: func(t *testing.T, tx *Tax) {
				if tx.Title != "VAT" || tx.Logic != TaxPercent || tx.Type != "tax" || tx.Rate != 1250 {
					t.Errorf("got %q %s %s %d, want VAT percent tax 1250", tx.Title, tx.Logic, tx.Type, tx.Rate)
				}
			}},
		{name: "the logic sent decides how the rate reads", change: TaxChange{Title: new("City"), Logic: new("per_night"), Rate: json.RawMessage(`250`)},
			check: func(t *testing.T, tx *Tax) {
				if tx.Rate != 250 {
					t.Errorf("got rate %d, want 250 minor units", tx.Rate)
				}
			}},
		{name: "the logic it has decides when none is sent", before: &Tax{Title: "City", Logic: "per_night", Type: "city_tax", Currency: "EUR"},
			change: TaxChange{Rate: json.RawMessage(`"2.5"`)}, check: func(t *testing.T, tx *Tax) {
				if tx.Rate != 250 {
					t.Errorf("got rate %d, want 250 minor units", tx.Rate)
				}
			}},
		{name: "null nights clear them, ranges are trimmed", before: &Tax{Title: "City", Logic: "per_night", Type: "tax", SkipNights: new(1), MaxNights: new(7)},
			change: TaxChange{SkipNightsSent: true, MaxNightsSent: true, DateRangesSent: true, DateRanges: []DateRange{{After: " 2030-04-01 "}}},
			check: func(t *testing.T, tx *Tax) {
				if tx.SkipNights != nil || tx.MaxNights != nil || len(tx.DateRanges) != 1 || tx.DateRanges[0].After != "2030-04-01" {
					t.Errorf("got skip %v, max %v, ranges %+v; want none, none, [2030-04-01, open]", tx.SkipNights, tx.MaxNights, tx.DateRanges)
				}
			}},
		{name: "bad values", change: TaxChange{Title: new(""), Logic: new("per_moon"), Type: new("bribe"), Rate: json.RawMessage(`"ten"`),
			SkipNightsSent: true, SkipNights: new(-1), DateRangesSent: true, DateRanges: []DateRange{{After: "2030-05-01", Before: "2030-04-01"}}},
			want: map[string]string{"title": "can't be blank", "logic": "is not included in the list", "type": "is not included in the list",
				"rate": "is invalid", "skip_nights": "must be greater than or equal to 0", "applicable_date_ranges": "after must not be later than before"}},
		{name: "percent above 100", change: TaxChange{Title: new("X"), Rate: json.RawMessage(`"100.01"`)},
			want: map[string]string{"rate": "must be at most 100 (percent)"}},
		{name: "the property cannot change", before: &Tax{PropertyID: propertyP1, Title: "VAT", Logic: TaxPercent, Type: "tax"},
			change: TaxChange{PropertyID: new("")}, want: map[string]string{"property_id": "can't be changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := tc.before
			if tx == nil {
				tx = NewTax("EUR")
			}
			checkApplied(t, tx.Apply(&tc.change, nil), tc.want)
			if tc.check != nil {
				tc.check(t, tx)
			}
		})
	}
}

func TestTaxSetApply(t *testing.T) {
	tax1, tax2, plan := NewID(), NewID(), NewID()
	for _, tc := range []struct {
		name   string
		change TaxSetChange
		want   map[string]string
		check  func(t *testing.T, ts *TaxSet)
	}{
		{name: "ids cleaned, rate plans once each", change: TaxSetChange{Title: new(" Lisbon "), Currency: new(" eur "),
			TaxesSent: true, Taxes: []TaxSetTax{{ID: " " + strings.ToUpper(tax1) + " "}, {ID: tax2, Level: 1}},
			RatePlanIDsSent: true, RatePlanIDs: []string{strings.ToUpper(plan), " " + plan, ""}},
			check: func(t *testing.T, ts *TaxSet) {
				if ts.Title != "Lisbon" || ts.Currency != "EUR" || ts.Taxes[0].ID != tax1 || !slices.Equal(ts.RatePlanIDs, []string{plan}) {
					t.Errorf("got %q %s %+v %v; want Lisbon EUR, %s first, [%s]", ts.Title, ts.Currency, ts.Taxes, ts.RatePlanIDs, tax1, plan)
				}
			}},
		{name: "null lists empty the set", change: TaxSetChange{TaxesSent: true, RatePlanIDsSent: true},
			check: func(t *testing.T, ts *TaxSet) {
				if ts.Taxes == nil || len(ts.Taxes) != 0 || len(ts.RatePlanIDs) != 0 {
					t.Errorf("got taxes %#v, plans %v; want both empty", ts.Taxes, ts.RatePlanIDs)
				}
			}},
		{name: "bad values", change: TaxSetChange{Title: new(" "), Currency: new("EURO"),
			TaxesSent: true, Taxes: []TaxSetTax{{ID: tax1}, {ID: tax1, Level: 1}}, RatePlanIDsSent: true, RatePlanIDs: []string{"all"}},
			want: map[string]string{"title": "can't be blank", "currency": "ISO 4217", "taxes": "lists a tax more than once",
				"associated_rate_plan_ids": "must be a list of rate plan ids"}},
		{name: "level out of bounds", change: TaxSetChange{TaxesSent: true, Taxes: []TaxSetTax{{ID: tax1, Level: 11}}},
			want: map[string]string{"taxes": "level must be between 0 and 10"}},
		{name: "the property cannot change", change: TaxSetChange{PropertyID: new(plan)}, want: map[string]string{"property_id": "can't be changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &TaxSet{PropertyID: propertyP1, Title: "Set", Currency: "EUR", Taxes: []TaxSetTax{{ID: tax2}}, RatePlanIDs: []string{plan}}
			checkApplied(t, ts.Apply(&tc.change, nil), tc.want)
			if tc.check != nil {
				tc.check(t, ts)
			}
		})
	}
}

func TestPhotoApply(t *testing.T) {
	roomType := NewID()
	for _, tc := range []struct {
		name   string
		change PhotoChange
		decode FieldErrors
		want   map[string]string
		check  func(t *testing.T, ph *PhotoRecord)
	}{
		{name: "trimmed, room type lower-cased", change: PhotoChange{URL: new(" https://img.example/b.jpg "), Author: new(" Ana "),
			RoomTypeID: new(strings.ToUpper(roomType)), Position: new(3)},
			check: func(t *testing.T, ph *PhotoRecord) {
				if ph.URL != "https://img.example/b.jpg" || ph.Author != "Ana" || ph.RoomTypeID != roomType || ph.Position != 3 {
					t.Errorf("got %+v, want the url and author trimmed, room type %s, position 3", ph, roomType)
				}
			}},
		{name: "kind null is a photo", change: PhotoChange{KindSent: true}, check: func(t *testing.T, ph *PhotoRecord) {
			if ph.Kind != "photo" {
				t.Errorf("got kind %q, want photo", ph.Kind)
			}
		}},
		{name: "kind empty is not", change: PhotoChange{KindSent: true, Kind: new("")}, want: map[string]string{"kind": "is not included in the list"}},
		{name: "room type empty is the property's own", change: PhotoChange{RoomTypeID: new(" ")}, check: func(t *testing.T, ph *PhotoRecord) {
			if ph.RoomTypeID != "" {
				t.Errorf("got room type %q, want none", ph.RoomTypeID)
			}
		}},
		{name: "bad values", change: PhotoChange{URL: new("javascript:alert(1)"), Kind: new("poster"), KindSent: true, Position: new(-1),
			RoomTypeID: new("x")}, want: map[string]string{"url": "must be an http or https URL", "kind": "is not included in the list",
			"position": "must be greater than or equal to 0", "room_type_id": "is not a valid id"}},
		{name: "a field that failed to decode is not judged again", change: PhotoChange{URL: new("")},
			decode: FieldErrors{"author": {"must be a string"}}, want: map[string]string{"url": "can't be blank", "author": "must be a string"}},
		{name: "the property cannot change", change: PhotoChange{PropertyID: new(roomType)}, want: map[string]string{"property_id": "can't be changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ph := &PhotoRecord{Photo: Photo{URL: "https://img.example/a.jpg", Kind: "ad"}, PropertyID: propertyP1, RoomTypeID: NewID()}
			checkApplied(t, ph.Apply(&tc.change, tc.decode), tc.want)
			if tc.check != nil {
				tc.check(t, ph)
			}
		})
	}
}
