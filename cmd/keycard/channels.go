package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/store"
)

// ChannelConfig is the channels part of the server configuration. Channel
// endpoints obey the webhooks' address guard and its development flag
// (--allow-private-webhooks).
type ChannelConfig struct {
	// HorizonDays is how many days from today pushes reach.
	HorizonDays int
	// LogRetention is how long the channel log is kept.
	LogRetention time.Duration
}

func (c *configFlags) channelFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.cfg.Channels.HorizonDays, "channel-horizon-days", keycard.ChannelHorizonDays, "how many days from today ARI is pushed to channels, full syncs included (env KEYCARD_CHANNEL_HORIZON_DAYS)")
	fs.DurationVar(&c.cfg.Channels.LogRetention, "channel-log-retention", keycard.ChannelLogRetention, "how long the channel log (every exchange with a channel) is kept, e.g. 2160h for 90 days (env KEYCARD_CHANNEL_LOG_RETENTION)")
}

func (c *configFlags) resolveChannels(getenv func(string) string, set map[string]bool) error {
	ch := &c.cfg.Channels
	if v := getenv("KEYCARD_CHANNEL_HORIZON_DAYS"); v != "" && !set["channel-horizon-days"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("KEYCARD_CHANNEL_HORIZON_DAYS must be a number of days, not %q", v)
		}
		ch.HorizonDays = n
	}
	if v := getenv("KEYCARD_CHANNEL_LOG_RETENTION"); v != "" && !set["channel-log-retention"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("KEYCARD_CHANNEL_LOG_RETENTION must be a duration such as 2160h, not %q", v)
		}
		ch.LogRetention = d
	}
	if ch.HorizonDays < 1 || ch.HorizonDays > keycard.ARIHorizonDays {
		return fmt.Errorf("--channel-horizon-days must be from 1 to %d", keycard.ARIHorizonDays)
	}
	if ch.LogRetention < time.Hour {
		return fmt.Errorf("--channel-log-retention must be at least 1h")
	}
	return nil
}

// channelPushLease is the pusher's claim on a channel (0: the package's
// default); the kill -9 test shortens it, so that a restarted server need
// not wait long for the claims of the one it replaces.
var channelPushLease time.Duration

// channelPusher returns the pusher the server runs, as cfg sets it.
func channelPusher(cfg Config, st *store.Store, log *slog.Logger) *channelpush.Pusher {
	return &channelpush.Pusher{Store: st, Client: openchannel.NewClient(cfg.Webhooks.AllowPrivate), Log: log,
		HorizonDays: cfg.Channels.HorizonDays, LogRetention: cfg.Channels.LogRetention, Lease: channelPushLease}
}

// startChannels starts the pusher that sends ARI to channels (after
// startWebhooks, which gives the store the key that opens channel API
// keys); the returned function stops it, letting the pushes under way
// finish (each within openchannel.Timeout) and be recorded.
func startChannels(cfg Config, st *store.Store, log *slog.Logger) func() {
	p := channelPusher(cfg, st, log)
	st.SetChannelWake(p.Wake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			st.SetChannelWake(nil)
		})
	}
}
