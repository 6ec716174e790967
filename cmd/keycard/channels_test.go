package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// TestChannelLogRetentionFlag reads --channel-log-retention and its twin
// into the config, a flag winning over its twin, and the server's pusher
// purges the channel log by it.
func TestChannelLogRetentionFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
		err  string
	}{
		{name: "default, 90 days", want: keycard.ChannelLogRetention},
		{name: "flag", args: []string{"--channel-log-retention", "720h"}, want: 720 * time.Hour},
		{name: "environment", env: map[string]string{"KEYCARD_CHANNEL_LOG_RETENTION": "48h"}, want: 48 * time.Hour},
		{name: "a flag wins over its twin", args: []string{"--channel-log-retention", "2h"},
			env: map[string]string{"KEYCARD_CHANNEL_LOG_RETENTION": "48h"}, want: 2 * time.Hour},
		{name: "too short", args: []string{"--channel-log-retention", "30m"}, err: "--channel-log-retention must be at least 1h"},
		{name: "not a duration", env: map[string]string{"KEYCARD_CHANNEL_LOG_RETENTION": "90 days"},
			err: "KEYCARD_CHANNEL_LOG_RETENTION must be a duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig("serve", c.args, env(c.env), io.Discard, "keycard.db", true, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Channels.LogRetention != c.want {
				t.Errorf("config: retention %s, want %s", cfg.Channels.LogRetention, c.want)
			}
			if p := channelPusher(cfg, nil, nil); p.LogRetention != c.want {
				t.Errorf("pusher: retention %s, want %s", p.LogRetention, c.want)
			}
		})
	}
}
