// Command tinypms is a tiny property management system (PMS) written on
// keycard's Go client: for one property it drains the booking feed
// (printing each new revision, then acknowledging it), and pushes a month
// of availability, computed from the property's rooms and bookings, and
// rates.
//
//	KEYCARD_KEY=... go run ./examples/tinypms --server http://localhost:8080 --property 3f1c...
//
// Run it every few minutes, or from a webhook: each run is idempotent.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/keycard/keycard/client"
)

func main() {
	server := flag.String("server", "http://localhost:8080", "keycard server URL")
	key := flag.String("key", "", "API key (default: $KEYCARD_KEY, which keeps it out of the process list)")
	property := flag.String("property", "", "property id")
	days := flag.Int("days", 30, "days of availability and rates to push, from today")
	flag.Parse()
	if *key == "" {
		*key = os.Getenv("KEYCARD_KEY")
	}
	if *key == "" || *property == "" {
		fmt.Fprintln(os.Stderr, "tinypms: --property and an API key (--key or $KEYCARD_KEY) are required")
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := client.New(*server, client.WithAPIKey(*key), client.WithUserAgent("keycard-tinypms"))
	pms := &PMS{Client: c, PropertyID: *property, Days: *days, Out: os.Stdout}
	if _, err := pms.Run(ctx, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "tinypms:", err)
		os.Exit(1)
	}
}
