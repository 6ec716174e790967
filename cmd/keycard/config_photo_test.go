package main

import (
	"io"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/keycard"
)

// TestPhotoLimitFlags reads the photo quota and upload limit from flags
// and their KEYCARD_* twins, a flag winning over its twin.
func TestPhotoLimitFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		env     map[string]string
		quota   keycard.PhotoQuota
		uploads int
		err     string
	}{
		{name: "defaults", quota: keycard.DefaultPhotoQuota, uploads: api.DefaultLimits.PhotoUploads},
		{name: "flags", args: []string{"--photo-quota-count", "500", "--photo-quota-bytes", "500MB", "--photo-upload-rate-limit", "5"},
			quota: keycard.PhotoQuota{Files: 500, Bytes: 500 << 20}, uploads: 5},
		{name: "environment", env: map[string]string{"KEYCARD_PHOTO_QUOTA_COUNT": "10", "KEYCARD_PHOTO_QUOTA_BYTES": "123456",
			"KEYCARD_PHOTO_UPLOAD_RATE_LIMIT": "0"}, quota: keycard.PhotoQuota{Files: 10, Bytes: 123456}},
		{name: "a flag wins over its twin", args: []string{"--photo-quota-bytes", "1gb"}, env: map[string]string{"KEYCARD_PHOTO_QUOTA_BYTES": "5MB"},
			quota: keycard.PhotoQuota{Files: keycard.DefaultPhotoQuota.Files, Bytes: 1 << 30}, uploads: api.DefaultLimits.PhotoUploads},
		{name: "no limits", args: []string{"--photo-quota-count", "0", "--photo-quota-bytes", "0"}, uploads: api.DefaultLimits.PhotoUploads},
		{name: "a size that is none", args: []string{"--photo-quota-bytes", "lots"}, err: `--photo-quota-bytes must be a size such as 2GB, 500MB or 0 for no limit, not "lots"`},
		{name: "a negative size", env: map[string]string{"KEYCARD_PHOTO_QUOTA_BYTES": "-1MB"}, err: "--photo-quota-bytes must be a size"},
		{name: "a negative count", args: []string{"--photo-quota-count", "-1"}, err: "--photo-quota-count must not be negative"},
		{name: "a count that is none", env: map[string]string{"KEYCARD_PHOTO_QUOTA_COUNT": "many"}, err: "KEYCARD_PHOTO_QUOTA_COUNT must be a whole number"},
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
			if cfg.PhotoQuota != c.quota || cfg.Limits.PhotoUploads != c.uploads {
				t.Errorf("got quota %+v and %d uploads a minute, want %+v and %d", cfg.PhotoQuota, cfg.Limits.PhotoUploads, c.quota, c.uploads)
			}
		})
	}
}

// TestAnswerCacheFlag reads --answer-cache-bytes and its twin: a size, 0
// for none (a negative bound for the API), the default when unset.
func TestAnswerCacheFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want int
		err  string
	}{
		{name: "default", want: 64 << 20},
		{name: "flag", args: []string{"--answer-cache-bytes", "256MB"}, want: 256 << 20},
		{name: "environment", env: map[string]string{"KEYCARD_ANSWER_CACHE_BYTES": "1GB"}, want: 1 << 30},
		{name: "none", args: []string{"--answer-cache-bytes", "0"}, want: -1},
		{name: "not a size", args: []string{"--answer-cache-bytes", "big"}, err: `--answer-cache-bytes must be a size such as 64MB, or 0 to keep no answers, not "big"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig("serve", c.args, env(c.env), io.Discard, "keycard.db", true, nil)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AnswerCacheBytes != c.want {
				t.Errorf("AnswerCacheBytes = %d, want %d", cfg.AnswerCacheBytes, c.want)
			}
		})
	}
}
