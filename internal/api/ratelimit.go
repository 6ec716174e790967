package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
)

// Limits are requests per minute; 0 turns a limit off.
type Limits struct {
	PerKey          int // every request made with one API key
	PerOrganization int // every authenticated request of one organisation
	ARI             int // POST /restrictions, and separately POST /availability, per property
	PhotoUploads    int // POST /photos/upload per API key, or per user for sessions
}

// DefaultLimits are Channex's announced limits, and keycard's own for
// photo uploads (each is decoded and encoded anew: far dearer than any
// other request).
var DefaultLimits = Limits{PerKey: 600, PerOrganization: 1800, ARI: 10, PhotoUploads: 30}

// rateLimit counts the request against the key and organisation limits.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request, p *keycard.Principal) error {
	if s.limiter == nil {
		return nil
	}
	rules := []ratelimit.Rule{{Key: "org:" + p.OrganizationID, Limit: s.limits.PerOrganization, Window: time.Minute}}
	if p.ViaAPIKey() {
		rules = append(rules, ratelimit.Rule{Key: "key:" + p.APIKeyID, Limit: s.limits.PerKey, Window: time.Minute})
	}
	return s.applyLimit(w, r, "request", rules)
}

// applyLimit counts the request against rules and sets the RateLimit
// headers. When the counters cannot be reached (Redis down), the request
// goes ahead: an outage of the limiter must not become an outage of the
// API.
func (s *Server) applyLimit(w http.ResponseWriter, r *http.Request, limit string, rules []ratelimit.Rule) error {
	res, err := s.limiter.Allow(r.Context(), rules...)
	if err != nil {
		if r.Context().Err() != nil {
			return err // the client went away
		}
		s.log.WarnContext(r.Context(), "rate limiter unavailable; request not limited", "err", err)
		return nil
	}
	if res.Limit == 0 {
		return nil // every rule was off
	}
	h := w.Header()
	// Report the tightest limit of the request: an ARI limit checked after
	// the key's replaces the key's figures only when it has less left.
	if prev, err := strconv.Atoi(h.Get("RateLimit-Remaining")); err != nil || res.Remaining <= prev || !res.Allowed {
		h.Set("RateLimit-Limit", strconv.Itoa(res.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(seconds(res.Reset)))
	}
	if !res.Allowed {
		s.metrics.RateLimited(limit)
		h.Set("Retry-After", strconv.Itoa(max(1, seconds(res.RetryAfter))))
		return &keycard.Error{Code: keycard.ERateLimited}
	}
	return nil
}

func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// chargeARI counts an ARI write against the route's per-property limit:
// each distinct property the caller reaches is charged once, all or none.
// Properties out of reach are not charged: the budget is the property's,
// and a stranger naming its id must not spend it.
func (s *Server) chargeARI(w http.ResponseWriter, r *http.Request, route string, propertyIDs []string) error {
	if s.limiter == nil || s.limits.ARI <= 0 || len(propertyIDs) == 0 {
		return nil
	}
	reached, err := s.store.ReachableProperties(r.Context(), principal(r), propertyIDs)
	if err != nil {
		return err
	}
	var rules []ratelimit.Rule
	for _, id := range reached {
		rules = append(rules, ratelimit.Rule{Key: "ari:" + route + ":" + id, Limit: s.limits.ARI, Window: time.Minute})
	}
	if len(rules) == 0 {
		return nil
	}
	return s.applyLimit(w, r, "ari", rules)
}

// chargePhotoUpload counts a photo upload against the uploads limit of its
// key, or of its user when it comes with a session.
func (s *Server) chargePhotoUpload(w http.ResponseWriter, r *http.Request) error {
	if s.limiter == nil || s.limits.PhotoUploads <= 0 {
		return nil
	}
	p := principal(r)
	key := "photo:user:" + p.UserID
	if p.ViaAPIKey() {
		key = "photo:key:" + p.APIKeyID
	}
	return s.applyLimit(w, r, "photo_upload", []ratelimit.Rule{{Key: key, Limit: s.limits.PhotoUploads, Window: time.Minute}})
}
