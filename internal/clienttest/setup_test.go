package clienttest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestPropertySetup sets a property up through the client: a hotel
// policy, taxes in a tax set for its rate plan, facilities from the
// catalogue, and an uploaded photo; then changes and deletes each.
func TestPropertySetup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		h := newHotel(t, pms, "Hotel A")
		const unknown = "00000000-0000-4000-8000-000000000000"

		// Hotel policy.
		hp, err := pms.CreateHotelPolicy(ctx, client.NewHotelPolicy{PropertyID: h.property, Title: "House rules", MaxCountOfGuests: 4,
			CheckinTime: "15:00", CheckoutTime: "11:00", InternetAccessType: "wifi", InternetAccessCoverage: "entire_property",
			ParkingType: "on_site", ParkingReservation: "needed", PetsPolicy: "allowed", PetsRefundableDeposit: "50.00",
			SmokingPolicy: "no_smoking"})
		if err != nil || hp.ID == "" || hp.PropertyID != h.property || hp.Currency != "EUR" || hp.RefundableDeposit != "50.00" ||
			hp.InternetAccessCoverage == nil || *hp.InternetAccessCoverage != "entire_property" || time.Since(hp.CreatedAt).Abs() > time.Hour {
			t.Fatalf("create hotel policy: %+v, %v", hp, err)
		}
		hp2, err := pms.UpdateHotelPolicy(ctx, hp.ID, client.HotelPolicyChange{CheckoutTime: new("12:00"), IsAdultsOnly: new(true)})
		if err != nil || hp2.CheckoutTime != "12:00" || !hp2.IsAdultsOnly || hp2.CheckinTime != "15:00" || hp2.Title != "House rules" {
			t.Errorf("update hotel policy: %+v, %v", hp2, err)
		}
		if _, err := pms.UpdateHotelPolicy(ctx, hp.ID, client.HotelPolicyChange{PetsPolicy: new("sometimes")}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("a pets policy out of the enumeration: %v, want validation_error", err)
		}
		p, err := pms.UpdateProperty(ctx, h.property, client.PropertyChange{HotelPolicyID: &hp.ID})
		if err != nil || p.HotelPolicyID == nil || *p.HotelPolicyID != hp.ID {
			t.Errorf("property's hotel policy: %+v, %v", p, err)
		}
		if l := collect(t, pms.HotelPolicies(ctx, client.ListOptions{Filters: map[string]string{"property_id": h.property}})); len(l) != 1 || l[0].ID != hp.ID {
			t.Errorf("hotel policies: %+v", l)
		}

		// Taxes and a tax set for the rate plan.
		vat, err := pms.CreateTax(ctx, client.NewTax{PropertyID: h.property, Title: "VAT", Logic: "percent", Type: "tax", Rate: "6", IsInclusive: true})
		if err != nil || vat.Rate != "6.00" || vat.Currency != "EUR" || !vat.IsInclusive {
			t.Fatalf("create VAT: %+v, %v", vat, err)
		}
		from := "2027-01-01"
		city, err := pms.CreateTax(ctx, client.NewTax{PropertyID: h.property, Title: "City tax", Logic: "per_person_per_night", Type: "city_tax",
			Rate: "4.00", MaxNights: new(7), ApplicableDateRanges: []client.DateRange{{After: &from}}})
		if err != nil || city.MaxNights == nil || *city.MaxNights != 7 || len(city.ApplicableDateRanges) != 1 || city.ApplicableDateRanges[0].Before != nil {
			t.Fatalf("create city tax: %+v, %v", city, err)
		}
		if _, err := pms.CreateTax(ctx, client.NewTax{PropertyID: h.property, Title: "Too much", Logic: "percent", Type: "tax", Rate: "101"}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("a tax of 101 %%: %v, want validation_error", err)
		}
		city2, err := pms.UpdateTax(ctx, city.ID, client.TaxChange{Rate: new("4.50"), ApplicableDateRanges: []client.DateRange{}})
		if err != nil || city2.Rate != "4.50" || len(city2.ApplicableDateRanges) != 0 || city2.Title != "City tax" {
			t.Errorf("update city tax: %+v, %v; want 4.50 on every stay", city2, err)
		}
		ts, err := pms.CreateTaxSet(ctx, client.NewTaxSet{PropertyID: h.property, Title: "Standard",
			Taxes: []client.TaxLevel{{ID: vat.ID, Level: 0}, {ID: city.ID, Level: 1}}, AssociatedRatePlanIDs: []string{h.ratePlan}})
		if err != nil || len(ts.Taxes) != 2 || ts.Taxes[1] != (client.TaxLevel{ID: city.ID, Level: 1}) || len(ts.AssociatedRatePlanIDs) != 1 {
			t.Fatalf("create tax set: %+v, %v", ts, err)
		}
		if rp, err := pms.RatePlan(ctx, h.ratePlan); err != nil || rp.TaxSetID != ts.ID {
			t.Errorf("rate plan's tax set: %q, %v; want %s", rp.TaxSetID, err, ts.ID)
		}
		ts2, err := pms.UpdateTaxSet(ctx, ts.ID, client.TaxSetChange{Title: new("VAT only"), Taxes: []client.TaxLevel{{ID: vat.ID}}})
		if err != nil || ts2.Title != "VAT only" || len(ts2.Taxes) != 1 || len(ts2.AssociatedRatePlanIDs) != 1 {
			t.Errorf("update tax set: %+v, %v; want one tax, the plan kept", ts2, err)
		}
		if err := pms.DeleteTaxSet(ctx, ts.ID); err != nil {
			t.Errorf("delete tax set: %v", err)
		}
		if rp, err := pms.RatePlan(ctx, h.ratePlan); err != nil || rp.TaxSetID != "" {
			t.Errorf("rate plan after its tax set went: %q, %v; want none", rp.TaxSetID, err)
		}
		if n := len(collect(t, pms.Taxes(ctx, client.ListOptions{Limit: 1, Filters: map[string]string{"property_id": h.property}}))); n != 2 {
			t.Errorf("taxes a page of one at a time: %d, want 2", n)
		}
		if err := pms.DeleteTax(ctx, city.ID); err != nil {
			t.Errorf("delete tax: %v", err)
		}
		if _, err := pms.Tax(ctx, city.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("deleted tax: %v, want not found", err)
		}

		// Facilities: the catalogue, and a property naming some.
		all, err := pms.AllFacilities(ctx)
		kinds := map[string]int{}
		for _, f := range all {
			kinds[f.Kind]++
		}
		if err != nil || kinds["property"] == 0 || kinds["room"] == 0 {
			t.Fatalf("all facilities: %d (%v), %v", len(all), kinds, err)
		}
		wifi := collect(t, pms.PropertyFacilities(ctx, client.ListOptions{Filters: map[string]string{"title": "Free WiFi"}}))
		if len(wifi) != 1 || wifi[0].Category != "Internet" {
			t.Fatalf("property facility Free WiFi: %+v", wifi)
		}
		if n := len(collect(t, pms.RoomFacilities(ctx, client.ListOptions{Limit: 100}))); n != kinds["room"] {
			t.Errorf("room facilities, page after page: %d, want %d", n, kinds["room"])
		}
		p, err = pms.UpdateProperty(ctx, h.property, client.PropertyChange{Facilities: []string{wifi[0].ID}})
		if err != nil || len(p.Facilities) != 1 || p.Facilities[0] != wifi[0].ID {
			t.Errorf("property facilities: %+v, %v", p, err)
		}
		if _, err := pms.UpdateProperty(ctx, h.property, client.PropertyChange{Facilities: []string{unknown}}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("an unknown facility: %v, want validation_error", err)
		}

		// Photos: upload an image, make it a photo of the room type.
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
			t.Fatal(err)
		}
		file, err := pms.UploadPhoto(ctx, "room.png", bytes.NewReader(img.Bytes()))
		if err != nil || file.ContentType != "image/png" || file.Size != int64(img.Len()) || file.URL == "" {
			t.Fatalf("upload: %+v, %v", file, err)
		}
		resp, err := http.Get(file.URL)
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(served, img.Bytes()) {
			t.Errorf("the uploaded file served back differs: %d bytes, want %d", len(served), img.Len())
		}
		if _, err := pms.UploadPhoto(ctx, "room.png", bytes.NewReader([]byte("not an image"))); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("upload of text: %v, want validation_error", err)
		}
		ph, err := pms.CreatePhoto(ctx, client.NewPhoto{PropertyID: h.property, RoomTypeID: h.roomType, URL: file.URL, Description: "Double room"})
		if err != nil || ph.URL != file.URL || ph.RoomTypeID == nil || *ph.RoomTypeID != h.roomType || ph.Kind != "photo" {
			t.Fatalf("create photo: %+v, %v", ph, err)
		}
		ph2, err := pms.UpdatePhoto(ctx, ph.ID, client.PhotoChange{Author: new("Ana"), Position: new(2)})
		if err != nil || ph2.Author == nil || *ph2.Author != "Ana" || ph2.Position != 2 || ph2.Description == nil || *ph2.Description != "Double room" {
			t.Errorf("update photo: %+v, %v", ph2, err)
		}
		if rt, err := pms.RoomType(ctx, h.roomType); err != nil || len(rt.Content.Photos) != 1 || rt.Content.Photos[0].ID != ph.ID {
			t.Errorf("room type's photos: %+v, %v", rt, err)
		}
		if l := collect(t, pms.Photos(ctx, client.ListOptions{Filters: map[string]string{"property_id": h.property}})); len(l) != 1 {
			t.Errorf("photos: %+v", l)
		}
		if err := pms.DeletePhoto(ctx, ph.ID); err != nil {
			t.Errorf("delete photo: %v", err)
		}

		// Another property's key sees none of it.
		other := newHotel(t, pms, "Hotel B")
		onlyB := newKey(t, srv, "B only", other.property)
		if _, err := onlyB.HotelPolicy(ctx, hp.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("B's key reading A's hotel policy: %v, want not found", err)
		}
		if _, err := onlyB.Tax(ctx, vat.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("B's key reading A's tax: %v, want not found", err)
		}
		if err := pms.DeleteHotelPolicy(ctx, hp.ID); err != nil {
			t.Errorf("delete hotel policy: %v", err)
		}
	})
}
