package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/keycard/keycard/client"
)

// A PMS takes new bookings and changes from the feed, and acknowledges
// each once it has it.
func ExampleClient_DrainFeed() {
	ctx := context.Background()
	c := client.New("https://keycard.example", client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
	n, err := c.DrainFeed(ctx, client.FeedOptions{PropertyID: os.Getenv("PROPERTY_ID")}, func(r *client.BookingRevision) error {
		fmt.Println(r.Status, r.OTAReservationCode, r.ArrivalDate, r.DepartureDate, r.Amount, r.Currency)
		return nil // returning an error stops the drain and leaves r in the feed
	})
	if client.HasCode(err, client.CodeUnauthorized) {
		log.Fatal("the key was withdrawn")
	}
	log.Printf("%d revisions acknowledged, %v", n, err)
}

// Lists are iterators over every page.
func ExampleClient_Bookings() {
	ctx := context.Background()
	c := client.New("https://keycard.example", client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
	for b, err := range c.Bookings(ctx, client.BookingFilter{ArrivalFrom: "2027-01-01", ArrivalTo: "2027-01-31", Limit: 100}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(b.UniqueID, b.Status)
	}
}

// A webhook endpoint checks each delivery's signature before it trusts the
// body.
func ExampleVerifyWebhook() {
	secret := os.Getenv("KEYCARD_WEBHOOK_SECRET") // CreateWebhook's SigningSecret
	http.HandleFunc("/keycard", func(w http.ResponseWriter, r *http.Request) {
		body, err := client.VerifyWebhook(r, secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		log.Printf("event: %s", body)
	})
}
