package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// demoARIDays is how many days of ARI the demo writes, from today.
const demoARIDays = 60

// seedDemoInventory gives each property of owner that has no room types
// yet two room types, three rate plans (one derived from another) and
// demoARIDays days of availability, rates and restrictions from today, so
// that the demo's API answers something worth reading. Properties that
// already have room types are left alone, which makes it safe to call at
// every start.
func seedDemoInventory(ctx context.Context, st *store.Store, owner *keycard.Principal) error {
	props, err := st.PropertyOptions(ctx, owner)
	if err != nil {
		return err
	}
	for _, p := range props {
		existing, err := st.RoomTypeOptions(ctx, owner, keycard.ListQuery{Page: 1, Limit: 1,
			Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{p.ID}}}})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			continue
		}
		if err := seedPropertyInventory(ctx, st, owner, p.ID); err != nil {
			return fmt.Errorf("demo inventory of %s: %w", p.Title, err)
		}
	}
	return nil
}

func seedPropertyInventory(ctx context.Context, st *store.Store, owner *keycard.Principal, propertyID string) error {
	prop, err := st.Property(ctx, owner, propertyID)
	if err != nil {
		return err
	}
	double, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: propertyID, Title: "Double Room", CountOfRooms: 8,
		OccAdults: 2, OccChildren: 1, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom,
		Content: keycard.RoomTypeContent{Description: "A double room with a view of the river."}})
	if err != nil {
		return err
	}
	family, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: propertyID, Title: "Family Suite", CountOfRooms: 3,
		OccAdults: 4, OccChildren: 2, OccInfants: 1, DefaultOccupancy: 3, RoomKind: keycard.RoomKindRoom})
	if err != nil {
		return err
	}
	// Rates are whole units of the property's currency, written in minor
	// units so that they suit any currency.
	unit := int64(1)
	for range keycard.CurrencyExponent(prop.Currency) {
		unit *= 10
	}
	money := func(units int64) json.RawMessage { return json.RawMessage(fmt.Sprint(units * unit)) }
	option := func(occupancy int, primary bool, units int64) keycard.RateOptionChange {
		return keycard.RateOptionChange{Occupancy: &occupancy, IsPrimary: &primary, Rate: money(units)}
	}
	plan := func(title string, c *keycard.RatePlanChange) (*keycard.RatePlan, error) {
		c.Title, c.OptionsSent = &title, true
		return st.CreateRatePlan(ctx, owner, propertyID, c, nil)
	}
	bar, err := plan("Best Available Rate", &keycard.RatePlanChange{RoomTypeID: &double.ID, MealType: new("breakfast"),
		Options: []keycard.RateOptionChange{option(2, true, 120)},
		// Saturday arrivals stay two nights.
		MinStayArrival: &[7]int{1, 1, 1, 1, 1, 2, 1}})
	if err != nil {
		return err
	}
	// Derived: its rates follow Best Available Rate, 10 % less, so nothing
	// is written for it. A plan with a parent inherits everything.
	derived := option(2, true, 0)
	derived.DerivedOption = json.RawMessage(`{"rate": [["decrease_by_percent", "10.00"]]}`)
	if _, err := plan("Non-Refundable", &keycard.RatePlanChange{RoomTypeID: &double.ID, ParentRatePlanID: &bar.ID,
		Options: []keycard.RateOptionChange{derived}}); err != nil {
		return err
	}
	flex, err := plan("Family Flexible", &keycard.RatePlanChange{RoomTypeID: &family.ID, SellMode: new(keycard.SellPerPerson),
		Options: []keycard.RateOptionChange{option(4, true, 220), option(3, false, 200), option(2, false, 180)}})
	if err != nil {
		return err
	}
	today := keycard.Today(time.Now(), prop.Timezone)
	var avail []*keycard.AvailabilityChange
	var restrictions []*keycard.RestrictionChange
	for i := range demoARIDays {
		d := today + keycard.Date(i)
		one := keycard.Dates{From: d, To: d, Days: keycard.EveryDay, Single: true}
		weekend := d.Weekday() == 4 || d.Weekday() == 5 // Friday and Saturday nights
		avail = append(avail,
			&keycard.AvailabilityChange{PropertyID: propertyID, RoomTypeID: double.ID, Dates: one, Availability: int32(8 - i%4)},
			&keycard.AvailabilityChange{PropertyID: propertyID, RoomTypeID: family.ID, Dates: one, Availability: int32(3 - i%2)})
		rate, extra := int64(120), int64(0)
		if weekend {
			rate, extra = 150, 20
		}
		restrictions = append(restrictions,
			&keycard.RestrictionChange{PropertyID: propertyID, RatePlanID: bar.ID, Dates: one, Rate: money(rate)},
			&keycard.RestrictionChange{PropertyID: propertyID, RatePlanID: flex.ID, Dates: one, Rates: []keycard.OccupancyRate{
				{Occupancy: 4, Rate: money(220 + extra)}, {Occupancy: 3, Rate: money(200 + extra)}, {Occupancy: 2, Rate: money(180 + extra)}}})
	}
	// A sold-out week three weeks ahead, as a channel manager often shows.
	var closed keycard.Restrictions
	closed.SetBool(keycard.FieldStopSell, true)
	restrictions = append(restrictions, &keycard.RestrictionChange{PropertyID: propertyID, RatePlanID: flex.ID,
		Dates: keycard.Dates{From: today + 21, To: today + 27, Days: keycard.EveryDay}, Values: closed})
	res, err := st.ApplyAvailability(ctx, owner, avail)
	if err != nil {
		return err
	}
	if err := refused(res); err != nil {
		return err
	}
	if res, err = st.ApplyRestrictions(ctx, owner, restrictions); err != nil {
		return err
	}
	if err := refused(res); err != nil {
		return err
	}
	return nil
}

// refused turns the first warning of a demo write into an error: the demo
// writes nothing the server should refuse.
func refused(res *keycard.ARIResult) error {
	for _, fe := range res.Warnings {
		if fe != nil {
			return fmt.Errorf("ARI refused: %v", fe)
		}
	}
	return nil
}
