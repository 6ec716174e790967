package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/metrics"
	"github.com/keycard/keycard/internal/secretbox"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/webhook"
)

// WebhookConfig is the webhook part of the server configuration.
type WebhookConfig struct {
	// KeyFile holds the key that seals webhook secrets in the database.
	// Empty means next to the SQLite database; PostgreSQL needs it given,
	// the same file on every server.
	KeyFile string
	// AllowPrivate lets callbacks reach loopback, private, link-local and
	// other special-purpose addresses, and this machine's own (for tests
	// and closed networks).
	AllowPrivate bool
	// NonAckedAfter is how long a booking revision may stay unacked before
	// the non_acked_booking event fires (defaultNonAckedAfter when 0).
	NonAckedAfter time.Duration
}

// defaultNonAckedAfter is --non-acked-after's default, and the wait of a
// server whose Config was not parsed from serve's flags (the bench's): a
// zero wait would make every unacked revision overdue at once.
const defaultNonAckedAfter = 30 * time.Minute

func (c *configFlags) webhookFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.cfg.Webhooks.KeyFile, "webhook-key-file", "", "`file` with the key sealing webhook secrets; made if missing (default next to the SQLite database; required with --database-url) (env KEYCARD_WEBHOOK_KEY_FILE)")
	fs.BoolVar(&c.cfg.Webhooks.AllowPrivate, "allow-private-webhooks", false, "let webhook callbacks reach loopback, private, link-local and other special-purpose addresses, and this machine's own (env KEYCARD_ALLOW_PRIVATE_WEBHOOKS)")
	fs.DurationVar(&c.cfg.Webhooks.NonAckedAfter, "non-acked-after", defaultNonAckedAfter, "how long a booking revision may stay unacked before the non_acked_booking webhook fires (env KEYCARD_NON_ACKED_AFTER)")
}

func (c *configFlags) resolveWebhooks(getenv func(string) string, set map[string]bool) error {
	w := &c.cfg.Webhooks
	if v := getenv("KEYCARD_WEBHOOK_KEY_FILE"); v != "" && !set["webhook-key-file"] {
		w.KeyFile = v
	}
	if v := getenv("KEYCARD_ALLOW_PRIVATE_WEBHOOKS"); v != "" && !set["allow-private-webhooks"] {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("KEYCARD_ALLOW_PRIVATE_WEBHOOKS must be true or false, not %q", v)
		}
		w.AllowPrivate = b
	}
	if v := getenv("KEYCARD_NON_ACKED_AFTER"); v != "" && !set["non-acked-after"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("KEYCARD_NON_ACKED_AFTER must be a duration such as 30m, not %q", v)
		}
		w.NonAckedAfter = d
	}
	if w.NonAckedAfter <= 0 {
		return errors.New("--non-acked-after must be positive")
	}
	if w.KeyFile == "" {
		if c.cfg.DatabaseURL != "" {
			return errors.New("--webhook-key-file is required with --database-url: every server must seal webhook secrets with the same key")
		}
		w.KeyFile = defaultWebhookKeyFile(c.cfg.DBPath)
	}
	return nil
}

// defaultWebhookKeyFile names the key file next to an SQLite database:
// keycard.db -> keycard-webhooks.key.
func defaultWebhookKeyFile(db string) string {
	base := strings.TrimSuffix(filepath.Base(db), filepath.Ext(db))
	return filepath.Join(filepath.Dir(db), base+"-webhooks.key")
}

// startWebhooks gives the store its sealing key and starts the delivery
// worker; the returned function stops it, letting the deliveries under
// way finish (each within webhook.Timeout).
func startWebhooks(cfg Config, st *store.Store, m *metrics.Metrics, log *slog.Logger) (*webhook.Sender, func(), error) {
	// SQLite's key file is made on first start; a PostgreSQL cluster's
	// is made once by hand (or by the first server) and copied to all.
	box, err := secretbox.LoadKeyFile(cfg.Webhooks.KeyFile, true)
	if err != nil {
		return nil, nil, fmt.Errorf("--webhook-key-file: %w", err)
	}
	st.SetSecretBox(box)
	sender := webhook.NewSender(cfg.Webhooks.AllowPrivate)
	w := &webhook.Worker{Store: st, Sender: sender, Log: log, Observe: m.WebhookDelivery}
	after := cmp.Or(cfg.Webhooks.NonAckedAfter, defaultNonAckedAfter)
	w.Periodic = func(ctx context.Context, now time.Time) {
		for {
			n, err := st.NotifyNonAcked(ctx, now, after, 500)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("webhook: non-acked booking scan", "err", err)
				}
				return
			}
			if n < 500 {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	var once sync.Once
	return sender, func() { once.Do(func() { cancel(); <-done }) }, nil
}
