package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/clientip"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretscan"
	"github.com/keycard/keycard/internal/store"
)

// Config is keycard's configuration, from flags and then KEYCARD_*
// environment variables (a flag given on the command line wins).
type Config struct {
	Addr        string
	DBPath      string
	DatabaseURL string
	Mode        keycard.Mode
	Limits      api.Limits
	// SecureCookies marks the UI's cookies Secure over plain HTTP, for a
	// TLS-terminating proxy in front.
	SecureCookies bool
	// SignInLimits bound failed password sign-ins.
	SignInLimits auth.SignInLimits
	// MetricsPublic serves /metrics on the public address too.
	MetricsPublic bool
	// LogFormat is "json" or "text"; empty is the command's default.
	LogFormat string
	// LogLevel is the least level logged.
	LogLevel slog.Level
	// RedisURL, when set, holds the rate-limit counters in Redis, shared
	// by every server using it.
	RedisURL string
	// DebugAddr, when set, is an operator-only address serving pprof and
	// expvar; never the public one.
	DebugAddr string
	// Webhooks configures webhook delivery.
	Webhooks WebhookConfig
	// Channels configures the pushes to channels.
	Channels ChannelConfig
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies clientip.Resolver
	// AuthFailLimit is how many failed authentications a client address
	// may make per minute before it cools off; 0 is no limit.
	AuthFailLimit int
	// AuditRetention is how long audit events are kept.
	AuditRetention time.Duration
	// TaskRetention is how long tasks (the record of ARI writes and of
	// booking changes that moved availability) are kept.
	TaskRetention time.Duration
	// PhotoQuota bounds each organisation's uploaded photo files.
	PhotoQuota keycard.PhotoQuota
	// ShutdownTimeout is how long requests in flight may take to finish
	// once the server begins to shut down.
	ShutdownTimeout time.Duration
	// SecretScanningKeys check secret-scanning reports; nil turns the
	// endpoint off. LeakFlagOnly flags a reported key instead of
	// withdrawing it.
	SecretScanningKeys *secretscan.Keys
	LeakFlagOnly       bool
	// KeyUsageRetention is how long each key's hourly usage is kept.
	KeyUsageRetention time.Duration
	// AnswerCacheBytes bounds the encoded answers of hot reads kept in
	// memory, as api.Config's: 0 is its default, negative keeps none.
	AnswerCacheBytes int
}

// Store returns the storage part of the configuration.
func (c Config) Store() store.Config {
	return store.Config{SQLitePath: c.DBPath, PostgresURL: c.DatabaseURL}
}

// configFlags registers the storage flags on fs, and the server flags when
// server is set. Call resolve after fs.Parse.
type configFlags struct {
	fs             *flag.FlagSet
	cfg            *Config
	mode           string
	logLevel       string
	trustedProxies string
	auditRetention string
	taskRetention  string
	photoQuotaSize string
	answerCache    string
	shutdownTO     string
	scanKeysFile   string
	leakedKeys     string
	usageRetention string
	server         bool
}

func newConfigFlags(fs *flag.FlagSet, defaultDB string, server bool) *configFlags {
	c := &configFlags{fs: fs, cfg: &Config{}, server: server}
	fs.StringVar(&c.cfg.DBPath, "db", defaultDB, "SQLite database `file` (env KEYCARD_DB)")
	fs.StringVar(&c.cfg.DatabaseURL, "database-url", "", "PostgreSQL `URL`, postgres://...; overrides --db (env KEYCARD_DATABASE_URL)")
	if server {
		fs.StringVar(&c.cfg.Addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (env KEYCARD_ADDR)")
		fs.StringVar(&c.mode, "mode", string(keycard.ModeStaging), "staging or production (env KEYCARD_MODE)")
		fs.BoolVar(&c.cfg.MetricsPublic, "metrics-public", false, "serve Prometheus metrics at /metrics on the public address too (env KEYCARD_METRICS_PUBLIC)")
		fs.StringVar(&c.cfg.LogFormat, "log-format", "", "json or text (default json for serve, text for demo) (env KEYCARD_LOG_FORMAT)")
		fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error (env KEYCARD_LOG_LEVEL)")
		fs.StringVar(&c.cfg.DebugAddr, "debug-addr", "", "operator-only `host:port` serving /debug/pprof/ and /debug/vars; keep it off the public network (env KEYCARD_DEBUG_ADDR)")
		fs.StringVar(&c.cfg.RedisURL, "redis-url", "", "Redis `URL` (redis://...) for rate-limit counters shared by several servers (env KEYCARD_REDIS_URL)")
		fs.IntVar(&c.cfg.Limits.PerKey, "key-rate-limit", api.DefaultLimits.PerKey, "requests per minute per API key; 0 is no limit (env KEYCARD_KEY_RATE_LIMIT)")
		fs.IntVar(&c.cfg.Limits.PerOrganization, "org-rate-limit", api.DefaultLimits.PerOrganization, "requests per minute per organisation; 0 is no limit (env KEYCARD_ORG_RATE_LIMIT)")
		fs.BoolVar(&c.cfg.SecureCookies, "secure-cookies", false, "mark the UI's cookies Secure even over plain HTTP, when HTTPS ends at a proxy in front (env KEYCARD_SECURE_COOKIES)")
		fs.IntVar(&c.cfg.SignInLimits.PerEmail, "sign-in-rate-limit", 10, "failed password sign-ins per minute per email address from one client address; 0 is no limit (env KEYCARD_SIGN_IN_RATE_LIMIT)")
		fs.IntVar(&c.cfg.SignInLimits.PerAddress, "sign-in-address-rate-limit", 30, "failed password sign-ins per minute per client address, whatever the email; 0 is no limit (env KEYCARD_SIGN_IN_ADDRESS_RATE_LIMIT)")
		fs.IntVar(&c.cfg.SignInLimits.PerAccount, "sign-in-account-limit", 50, "failed password sign-ins per hour per account from all addresses together, after which its password sign-ins pause for the hour; 0 is no limit (env KEYCARD_SIGN_IN_ACCOUNT_LIMIT)")
		c.webhookFlags(fs)
		c.channelFlags(fs)
		fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated `CIDRs` of proxies whose X-Forwarded-For names the client address (env KEYCARD_TRUSTED_PROXIES)")
		fs.IntVar(&c.cfg.AuthFailLimit, "auth-fail-limit", 20, "failed authentications (bad keys, tokens, passwords) per minute per client address before a minute's 429s; 0 is no limit (env KEYCARD_AUTH_FAIL_LIMIT)")
		fs.StringVar(&c.auditRetention, "audit-retention", "8760h", "how long audit events are kept, e.g. 8760h for a year (env KEYCARD_AUDIT_RETENTION)")
		fs.StringVar(&c.taskRetention, "task-retention", "720h", "how long tasks are kept, e.g. 720h for 30 days (env KEYCARD_TASK_RETENTION)")
		fs.StringVar(&c.shutdownTO, "shutdown-timeout", defaultShutdownTimeout.String(), "how long requests in flight may take to finish at shutdown (SIGINT, SIGTERM) before they are cut off (env KEYCARD_SHUTDOWN_TIMEOUT)")
		fs.IntVar(&c.cfg.Limits.ARI, "ari-rate-limit", api.DefaultLimits.ARI, "POST /restrictions, and POST /availability, per minute per property; 0 is no limit (env KEYCARD_ARI_RATE_LIMIT)")
		fs.IntVar(&c.cfg.Limits.PhotoUploads, "photo-upload-rate-limit", api.DefaultLimits.PhotoUploads, "photo uploads per minute per API key, or per user signed in; 0 is no limit (env KEYCARD_PHOTO_UPLOAD_RATE_LIMIT)")
		fs.IntVar(&c.cfg.PhotoQuota.Files, "photo-quota-count", keycard.DefaultPhotoQuota.Files, "uploaded photo files an organisation may keep; 0 is no limit (env KEYCARD_PHOTO_QUOTA_COUNT)")
		fs.StringVar(&c.scanKeysFile, "secret-scanning-keys", "", "`FILE` of the public keys secret-scanning reports are signed with, in the JSON shape of GitHub's list; turns on POST /api/v1/secret_scanning/report (env KEYCARD_SECRET_SCANNING_KEYS)")
		fs.StringVar(&c.leakedKeys, "leaked-keys", "withdraw", "what a live key reported leaked gets: withdraw (at once) or flag (marked only) (env KEYCARD_LEAKED_KEYS)")
		fs.StringVar(&c.usageRetention, "key-usage-retention", "2160h", "how long each key's hourly request counts are kept, e.g. 2160h for 90 days (env KEYCARD_KEY_USAGE_RETENTION)")
		fs.StringVar(&c.answerCache, "answer-cache-bytes", "64MB", "memory for the answers of the reads integrations repeat (the feed, room types, rate plans, ARI), kept until what they show changes; in bytes or with KB, MB or GB; 0 keeps none (env KEYCARD_ANSWER_CACHE_BYTES)")
		fs.StringVar(&c.photoQuotaSize, "photo-quota-bytes", "2GB", "total size of an organisation's uploaded photo files, in bytes or with KB, MB or GB (of 1024); 0 is no limit (env KEYCARD_PHOTO_QUOTA_BYTES)")
	}
	return c
}

// resolve fills in environment values for flags not set on the command
// line, and validates the result.
func (c *configFlags) resolve(getenv func(string) string) (Config, error) {
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	env := func(flagName, envName string, dst *string) {
		if v := getenv(envName); v != "" && !set[flagName] {
			*dst = v
		}
	}
	env("db", "KEYCARD_DB", &c.cfg.DBPath)
	env("database-url", "KEYCARD_DATABASE_URL", &c.cfg.DatabaseURL)
	if c.server {
		env("addr", "KEYCARD_ADDR", &c.cfg.Addr)
		env("mode", "KEYCARD_MODE", &c.mode)
		env("redis-url", "KEYCARD_REDIS_URL", &c.cfg.RedisURL)
		env("debug-addr", "KEYCARD_DEBUG_ADDR", &c.cfg.DebugAddr)
		env("log-format", "KEYCARD_LOG_FORMAT", &c.cfg.LogFormat)
		env("log-level", "KEYCARD_LOG_LEVEL", &c.logLevel)
		env("trusted-proxies", "KEYCARD_TRUSTED_PROXIES", &c.trustedProxies)
		env("audit-retention", "KEYCARD_AUDIT_RETENTION", &c.auditRetention)
		env("task-retention", "KEYCARD_TASK_RETENTION", &c.taskRetention)
		env("photo-quota-bytes", "KEYCARD_PHOTO_QUOTA_BYTES", &c.photoQuotaSize)
		env("answer-cache-bytes", "KEYCARD_ANSWER_CACHE_BYTES", &c.answerCache)
		env("shutdown-timeout", "KEYCARD_SHUTDOWN_TIMEOUT", &c.shutdownTO)
		env("secret-scanning-keys", "KEYCARD_SECRET_SCANNING_KEYS", &c.scanKeysFile)
		env("leaked-keys", "KEYCARD_LEAKED_KEYS", &c.leakedKeys)
		env("key-usage-retention", "KEYCARD_KEY_USAGE_RETENTION", &c.usageRetention)
		if err := c.resolveLeaks(); err != nil {
			return Config{}, err
		}
		res, err := clientip.Parse(c.trustedProxies)
		if err != nil {
			return Config{}, fmt.Errorf("--trusted-proxies: %w", err)
		}
		c.cfg.TrustedProxies = res
		d, err := time.ParseDuration(c.auditRetention)
		if err != nil || d < time.Hour {
			return Config{}, fmt.Errorf("--audit-retention must be a duration of at least 1h, such as 8760h, not %q", c.auditRetention)
		}
		c.cfg.AuditRetention = d
		if d, err = time.ParseDuration(c.taskRetention); err != nil || d < time.Hour {
			return Config{}, fmt.Errorf("--task-retention must be a duration of at least 1h, such as 720h, not %q", c.taskRetention)
		}
		c.cfg.TaskRetention = d
		if c.cfg.PhotoQuota.Bytes, err = parseByteSize(c.photoQuotaSize); err != nil {
			return Config{}, fmt.Errorf("--photo-quota-bytes must be a size such as 2GB, 500MB or 0 for no limit, not %q", c.photoQuotaSize)
		}
		n, err := parseByteSize(c.answerCache)
		if err != nil || n > 1<<40 {
			return Config{}, fmt.Errorf("--answer-cache-bytes must be a size such as 64MB, or 0 to keep no answers, not %q", c.answerCache)
		}
		c.cfg.AnswerCacheBytes = int(n)
		if n == 0 {
			c.cfg.AnswerCacheBytes = -1
		}
		if d, err = time.ParseDuration(c.shutdownTO); err != nil || d <= 0 {
			return Config{}, fmt.Errorf("--shutdown-timeout must be a positive duration, such as 15s, not %q", c.shutdownTO)
		}
		c.cfg.ShutdownTimeout = d
		if f := c.cfg.LogFormat; f != "" && f != "json" && f != "text" {
			return Config{}, fmt.Errorf("--log-format must be json or text, not %q", f)
		}
		if err := c.cfg.LogLevel.UnmarshalText([]byte(c.logLevel)); err != nil {
			return Config{}, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", c.logLevel)
		}
		for name, dst := range map[string]*bool{"secure-cookies": &c.cfg.SecureCookies, "metrics-public": &c.cfg.MetricsPublic} {
			envName := "KEYCARD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			if v := getenv(envName); v != "" && !set[name] {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return Config{}, fmt.Errorf("%s must be true or false, not %q", envName, v)
				}
				*dst = b
			}
		}
		if u := c.cfg.RedisURL; u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
			return Config{}, errors.New("--redis-url must be a redis:// or rediss:// URL")
		}
		for name, dst := range map[string]*int{"key-rate-limit": &c.cfg.Limits.PerKey, "org-rate-limit": &c.cfg.Limits.PerOrganization, "ari-rate-limit": &c.cfg.Limits.ARI, "sign-in-rate-limit": &c.cfg.SignInLimits.PerEmail, "sign-in-address-rate-limit": &c.cfg.SignInLimits.PerAddress, "auth-fail-limit": &c.cfg.AuthFailLimit, "sign-in-account-limit": &c.cfg.SignInLimits.PerAccount,
			"photo-upload-rate-limit": &c.cfg.Limits.PhotoUploads, "photo-quota-count": &c.cfg.PhotoQuota.Files} {
			envName := "KEYCARD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			if v := getenv(envName); v != "" && !set[name] {
				n, err := strconv.Atoi(v)
				if err != nil {
					return Config{}, fmt.Errorf("%s must be a whole number, not %q", envName, v)
				}
				*dst = n
			}
			if *dst < 0 {
				return Config{}, fmt.Errorf("--%s must not be negative", name)
			}
		}
		c.cfg.Mode = keycard.Mode(strings.ToLower(c.mode))
		if c.cfg.Mode != keycard.ModeStaging && c.cfg.Mode != keycard.ModeProduction {
			return Config{}, fmt.Errorf("--mode must be staging or production, not %q", c.mode)
		}
		if c.cfg.Addr == "" {
			return Config{}, errors.New("--addr must not be empty")
		}
		if c.cfg.DebugAddr != "" && c.cfg.DebugAddr == c.cfg.Addr && !strings.HasSuffix(c.cfg.Addr, ":0") {
			return Config{}, errors.New("--debug-addr must differ from --addr: profiles are for operators only")
		}
	}
	if u := c.cfg.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return Config{}, errors.New("--database-url must be a postgres:// URL")
	}
	if c.cfg.DatabaseURL == "" && c.cfg.DBPath == "" {
		return Config{}, errors.New("--db must not be empty")
	}
	if c.server {
		if err := c.resolveWebhooks(getenv, set); err != nil {
			return Config{}, err
		}
		if err := c.resolveChannels(getenv, set); err != nil {
			return Config{}, err
		}
	}
	return *c.cfg, nil
}

// resolveLeaks reads the secret-scanning and key usage flags.
func (c *configFlags) resolveLeaks() error {
	if c.scanKeysFile != "" {
		keys, err := secretscan.Load(c.scanKeysFile)
		if err != nil {
			return fmt.Errorf("--secret-scanning-keys: %w", err)
		}
		c.cfg.SecretScanningKeys = keys
	}
	switch c.leakedKeys {
	case "withdraw", "flag":
		c.cfg.LeakFlagOnly = c.leakedKeys == "flag"
	default:
		return fmt.Errorf("--leaked-keys must be withdraw or flag, not %q", c.leakedKeys)
	}
	d, err := time.ParseDuration(c.usageRetention)
	if err != nil || d < 24*time.Hour {
		return fmt.Errorf("--key-usage-retention must be a duration of at least 24h, such as 2160h, not %q", c.usageRetention)
	}
	c.cfg.KeyUsageRetention = d
	return nil
}

// parseConfig parses a command's flags: the storage flags, the server
// flags when server is set, and those extra adds; then the environment.
func parseConfig(name string, args []string, getenv func(string) string, stdout io.Writer, defaultDB string, server bool, extra func(fs flagAdder)) (Config, error) {
	fs := newFlagSet(name, stdout)
	cf := newConfigFlags(fs, defaultDB, server)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cf.resolve(getenv)
}

// parseByteSize reads a size in bytes: a whole number, optionally followed
// by KB, MB or GB (of 1024, as the upload limit's "10 MB").
func parseByteSize(v string) (int64, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	unit := int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, unit = strings.TrimSpace(n), u.size
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/unit {
		return 0, errors.New("not a size")
	}
	return n * unit, nil
}
