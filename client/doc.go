// Package client is a Go client for keycard's API, the Channex API v1
// dialect: typed calls for properties, groups, room types, rate plans,
// availability and restrictions (ARI), bookings, booking revisions and the
// feed, tasks, hotel policies, cancellation policies, taxes and tax sets,
// photos, the facilities catalogue, webhooks and API keys; iterators over
// pages; errors that carry the Channex error envelope; retries with
// backoff (see WithRetries); and VerifyWebhook and WebhookHandler, which
// check a webhook delivery's signature.
//
// The client is a module of its own, github.com/keycard/keycard/client,
// which needs nothing but the standard library:
//
//	go get github.com/keycard/keycard/client
//
// A PMS sets its property up, pushes availability and rates, and takes
// bookings from the feed:
//
//	c := client.New("https://keycard.example", client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
//
//	rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: pid, Title: "Double", CountOfRooms: 4, OccAdults: 2, DefaultOccupancy: 2})
//	...
//	// A change sends only the fields it sets.
//	rt, err = c.UpdateRoomType(ctx, rt.ID, client.RoomTypeChange{CountOfRooms: new(5)})
//
//	res, err := c.UpdateAvailability(ctx, []client.Availability{{PropertyID: pid, RoomTypeID: rt.ID,
//		DateFrom: "2027-01-01", DateTo: "2027-01-31", Availability: 3}})
//	// res.Warnings lists the values the server refused; the others are applied.
//
//	n, err := c.DrainFeed(ctx, client.FeedOptions{PropertyID: pid}, func(r *client.BookingRevision) error {
//		return savePMSBooking(r) // acknowledged only when this returns nil
//	})
//
//	for b, err := range c.Bookings(ctx, client.BookingFilter{PropertyID: pid, ArrivalFrom: "2027-01-01"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(b.UniqueID, b.Status, b.InsertedAt)
//	}
//
// An answer in the error envelope is an *Error:
//
//	if client.HasCode(err, client.CodeNotFound) { ... }
//	if e, ok := errors.AsType[*client.Error](err); ok && e.Status == 422 {
//		fmt.Println(e.FieldErrors()) // field -> messages
//	}
//
// Timestamps are time.Time, in UTC. Money is a decimal string in the
// currency's units ("120.50"), as the server writes it; dates are
// "YYYY-MM-DD".
package client
