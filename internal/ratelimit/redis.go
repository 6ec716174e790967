package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraScript is Memory.Allow in Lua, run atomically by Redis on the
// server's own clock (TIME), so that servers with skewed clocks share one
// count. KEYS are the counters; ARGV holds, per key, its limit and window
// in microseconds, and last a commit flag (0 answers without counting). It
// returns allowed (0/1), limit, remaining, reset and
// retry-after (microseconds) of the tightest rule.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed, best_rem, best_limit, best_reset, retry = 1, -1, 0, 0, 0
local next_tat = {}
local commit = ARGV[#ARGV] == '1'
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local nt = tat + interval
  local rem, reset
  if nt - now > window then
    allowed = 0
    if nt - now - window > retry then retry = nt - now - window end
    rem = math.max(math.floor((window - (tat - now)) / interval), 0)
    reset = tat - now
  else
    next_tat[i] = nt
    rem = math.floor((window - (nt - now)) / interval)
    reset = nt - now
  end
  if best_rem < 0 or rem < best_rem then best_rem, best_limit, best_reset = rem, limit, reset end
end
if allowed == 1 and commit then
  for i = 1, #KEYS do
    local ttl = math.ceil((next_tat[i] - now) / 1000) + 1000
    redis.call('SET', KEYS[i], string.format('%.0f', next_tat[i]), 'PX', ttl)
  end
end
return {allowed, best_limit, math.max(best_rem, 0), math.floor(best_reset), math.floor(retry)}
`)

// Redis keeps request counters in a Redis server. Each counter expires as
// soon as its bucket is full again, so Redis holds only active keys.
type Redis struct {
	client redis.Scripter
	prefix string
}

// DialRedis connects to the Redis server at url (redis:// or rediss://)
// and returns a Limiter over it whose counters are named prefix + rule key,
// with the function that closes the connection. A ping checks the URL, so
// that a wrong one stops a server's start. Calls honour their context's
// deadline, which is what lets a Fallback give up on a hung server.
func DialRedis(ctx context.Context, url, prefix string) (*Redis, func() error, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("ratelimit: redis url: %w", err)
	}
	// Without this, go-redis waits out its own read timeout (3 s) on a
	// server that accepts but does not answer, whatever the deadline.
	opt.ContextTimeoutEnabled = true
	client := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("ratelimit: redis: %w", err)
	}
	return NewRedis(client, prefix), client.Close, nil
}

// NewRedis returns a Limiter over client whose counters are named
// prefix + rule key.
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow implements Limiter.
func (l *Redis) Allow(ctx context.Context, rules ...Rule) (Result, error) {
	return l.run(ctx, rules, "1")
}

// Peek implements Limiter.
func (l *Redis) Peek(ctx context.Context, rules ...Rule) (Result, error) {
	return l.run(ctx, rules, "0")
}

func (l *Redis) run(ctx context.Context, rules []Rule, commit string) (Result, error) {
	var keys []string
	var args []any
	for _, r := range rules {
		if r.Limit <= 0 {
			continue
		}
		keys = append(keys, l.prefix+r.Key)
		args = append(args, r.Limit, strconv.FormatInt(r.Window.Microseconds(), 10))
	}
	if len(keys) == 0 {
		return Result{Allowed: true}, nil
	}
	args = append(args, commit)
	v, err := gcraScript.Run(ctx, l.client, keys, args...).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(v) != 5 {
		return Result{}, fmt.Errorf("ratelimit: redis: script answered %d values, want 5", len(v))
	}
	return Result{Allowed: v[0] == 1, Limit: int(v[1]), Remaining: int(v[2]),
		Reset: time.Duration(v[3]) * time.Microsecond, RetryAfter: time.Duration(v[4]) * time.Microsecond}, nil
}
