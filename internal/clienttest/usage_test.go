package clienttest

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestKeyUsageAndLeaks reads a key's usage and reports it leaked through
// the client.
func TestKeyUsageAndLeaks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		k, err := srv.owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "RMS", AccessAllProperties: true})
		if err != nil {
			t.Fatal(err)
		}
		pms := client.New(srv.url, client.WithAPIKey(k.Key))
		for range 3 {
			if _, err := pms.Property(ctx, "00000000-0000-4000-8000-000000000000"); !client.HasCode(err, client.CodeNotFound) {
				t.Fatalf("unknown property: %v", err)
			}
		}
		if err := srv.cfg.Auth.FlushUsage(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		days, err := srv.owner.KeyUsage(ctx, k.ID, now.Add(-24*time.Hour), now.Add(time.Hour), "day")
		var sum client.KeyUsageBucket
		for _, d := range days {
			sum.Requests += d.Requests
			sum.ClientError += d.ClientError
			sum.OK += d.OK
		}
		if err != nil || len(days) < 2 || sum.Requests != 3 || sum.ClientError != 3 || sum.OK != 0 ||
			!days[0].Start.Equal(now.Add(-24*time.Hour).Truncate(24*time.Hour)) {
			t.Errorf("usage by day: %+v, %v", days, err)
		}

		answers, err := srv.owner.ReportLeakedKeys(ctx, []client.LeakReport{{Token: k.Key, URL: "https://x.example/a"}, {Token: "kc_no"}})
		if err != nil || len(answers) != 2 || answers[0].Label != "true_positive" || answers[1].Label != "false_positive" ||
			answers[0].KeyHint != k.KeyHint {
			t.Errorf("report: %+v, %v", answers, err)
		}
		if _, err := pms.Property(ctx, "00000000-0000-4000-8000-000000000000"); !client.HasCode(err, client.CodeUnauthorized) {
			t.Errorf("the reported key: %v, want unauthorized", err)
		}
	})
}
