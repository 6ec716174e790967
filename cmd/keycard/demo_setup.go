package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// seedDemoSetup gives Hotel Alfama the rest of a property's set-up: a
// hotel policy, a tax set with VAT and a city tax (for its rate plans, and
// as the property's default), facilities, and a photo uploaded to the demo
// itself. A property that already has a hotel policy is left alone, which
// makes it safe to call at every start. addr is where the demo listens,
// for the photo's URL.
func seedDemoSetup(ctx context.Context, st *store.Store, owner *keycard.Principal, addr string) error {
	props, _, err := st.ListProperties(ctx, owner, keycard.ListQuery{Page: 1, Limit: 1,
		Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{"Hotel Alfama"}}}})
	if err != nil {
		return err
	}
	if len(props) == 0 || props[0].HotelPolicyID != "" {
		return nil
	}
	prop := props[0]
	policy, err := st.CreateHotelPolicy(ctx, owner, prop.ID, &keycard.HotelPolicyChange{
		Title: new("Hotel Alfama policy"), MaxCountOfGuests: new(4), CheckinTime: new("14:00"), CheckoutTime: new("11:00"),
		InternetAccessType: new("wifi"), InternetAccessCoverage: new("entire_property"),
		ParkingType: new("nearby"), ParkingReservation: new("needed"), ParkingIsPrivate: new(false),
		PetsPolicy: new("by_arrangements"), PetsNonRefundableFee: json.RawMessage(`2000`),
		SmokingPolicy: new("no_smoking"),
	}, nil)
	if err != nil {
		return fmt.Errorf("hotel policy: %w", err)
	}
	vat, err := st.CreateTax(ctx, owner, prop.ID, &keycard.TaxChange{Title: new("VAT"), Logic: new(keycard.TaxPercent),
		Type: new("tax"), Rate: json.RawMessage(`6`), IsInclusive: new(true)}, nil)
	if err != nil {
		return fmt.Errorf("VAT: %w", err)
	}
	// Lisbon's tourist tax: 4.00 EUR per person per night, at most 7
	// nights.
	city, err := st.CreateTax(ctx, owner, prop.ID, &keycard.TaxChange{Title: new("Lisbon tourist tax"),
		Logic: new("per_person_per_night"), Type: new("city_tax"), Rate: json.RawMessage(`400`),
		MaxNightsSent: true, MaxNights: new(7)}, nil)
	if err != nil {
		return fmt.Errorf("city tax: %w", err)
	}
	plans, err := st.RatePlanOptions(ctx, owner, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit,
		Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{prop.ID}}}})
	if err != nil {
		return err
	}
	set := &keycard.TaxSetChange{Title: new("Lisbon taxes"),
		TaxesSent: true, Taxes: []keycard.TaxSetTax{{ID: vat.ID, Level: 0}, {ID: city.ID, Level: 1}}, RatePlanIDsSent: true}
	for _, rp := range plans {
		set.RatePlanIDs = append(set.RatePlanIDs, rp.ID)
	}
	taxSet, err := st.CreateTaxSet(ctx, owner, prop.ID, set, nil)
	if err != nil {
		return fmt.Errorf("tax set: %w", err)
	}
	file, err := st.SavePhotoFile(ctx, owner, "image/png", demoPhoto(), keycard.DefaultPhotoQuota)
	if err != nil {
		return fmt.Errorf("photo: %w", err)
	}
	facilities := func(kind string, titles ...string) []string {
		var ids []string
		for _, f := range keycard.FacilityCatalogue(kind) {
			for _, t := range titles {
				if f.Title == t {
					ids = append(ids, f.ID)
				}
			}
		}
		return ids
	}
	_, err = st.UpdateProperty(ctx, owner, prop.ID, &keycard.PropertyChange{HotelPolicyID: &policy.ID, DefaultTaxSetID: &taxSet.ID,
		FacilitiesSent: true,
		Facilities:     facilities(keycard.PropertyFacility, "24-hour front desk", "Free WiFi", "Restaurant", "Bar", "Airport shuttle", "Terrace"),
		ContentSent:    true,
		Content: &keycard.PropertyContentChange{PhotosSent: true, Photos: []keycard.Photo{{URL: "http://" + addr + "/api/v1/photo_files/" + file.ID + ".png",
			Position: 0, Kind: "photo", Description: "Hotel Alfama from the street", Author: "keycard demo"}}},
	}, nil)
	if err != nil {
		return fmt.Errorf("property: %w", err)
	}
	rooms, err := st.RoomTypeOptions(ctx, owner, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit,
		Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{prop.ID}}}})
	if err != nil {
		return err
	}
	for _, rt := range rooms {
		if _, err := st.UpdateRoomType(ctx, owner, rt.ID, false, &keycard.RoomTypeChange{FacilitiesSent: true,
			Facilities: facilities(keycard.RoomFacility, "Air conditioning", "Private bathroom", "Flat-screen TV", "Free toiletries", "City view"),
		}, nil); err != nil {
			return fmt.Errorf("room type %s: %w", rt.Title, err)
		}
	}
	return nil
}

// demoPhoto draws a small picture of a house (a PNG).
func demoPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	sky, wall, roof := color.RGBA{135, 190, 235, 255}, color.RGBA{240, 225, 190, 255}, color.RGBA{190, 70, 50, 255}
	for y := range 48 {
		for x := range 64 {
			c := sky
			switch {
			case y >= 24 && x >= 12 && x < 52:
				c = wall
			case y >= 8 && y < 24 && x >= 12+(24-y) && x < 52-(24-y):
				c = roof
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
