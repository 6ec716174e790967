package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretscan"
	"github.com/keycard/keycard/internal/tokens"
)

// maxLeakReports bounds one report's entries.
const maxLeakReports = 1000

// scanEntry is one entry of a secret-scanning report.
type scanEntry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// scanAnswer is the answer for one entry.
type scanAnswer struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

var errBadScanSignature = &keycard.Error{Code: keycard.EUnauthorized,
	Details: "The report's GITHUB-PUBLIC-KEY-IDENTIFIER and GITHUB-PUBLIC-KEY-SIGNATURE do not check out against the configured keys"}

// secretScanningReport is POST /api/v1/secret_scanning/report, the
// token-revocation endpoint of GitHub's secret-scanning partner program.
// It answers 404 unless the server has --secret-scanning-keys. The
// signature is checked over the raw body before anything is parsed or
// stored; entries of another type than keycard_api_key are
// false_positive without a lookup.
func (s *Server) secretScanningReport(w http.ResponseWriter, r *http.Request) error {
	if s.scanKeys == nil {
		return keycard.NotFound()
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if s.scanKeys.Verify(r.Header.Get(secretscan.HeaderKeyID), r.Header.Get(secretscan.HeaderSignature), body) != nil {
		return errBadScanSignature
	}
	var entries []scanEntry
	if err := json.Unmarshal(bytes.TrimSpace(body), &entries); err != nil || entries == nil {
		return keycard.Errorf(keycard.EBadRequest, "the body must be a JSON array of {token, type, url, source}")
	}
	if len(entries) > maxLeakReports {
		return keycard.Errorf(keycard.EBadRequest, "a report may hold at most %d entries", maxLeakReports)
	}
	var reports []keycard.LeakReport
	var at []int
	for i, e := range entries {
		if e.Type == keycard.SecretTypeAPIKey {
			reports = append(reports, keycard.LeakReport{Token: e.Token, URL: e.URL, Source: e.Source})
			at = append(at, i)
		}
	}
	labels, err := s.store.ReportLeaks(r.Context(), nil, reports, !s.leakFlagOnly)
	if err != nil {
		return err
	}
	out := make([]scanAnswer, len(entries))
	for i, e := range entries {
		out[i] = scanAnswer{TokenRaw: e.Token, TokenType: e.Type, Label: keycard.LabelFalsePositive}
	}
	for j, i := range at {
		out[i].Label = labels[j]
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// reportLeakedKeys is POST /api/v1/api_keys/leaks: the organisation's
// owner reports keys found leaked (keycard key scan --report). Only keys
// of the owner's organisation are touched; each answer gives the key's
// hint, never the key.
func (s *Server) reportLeakedKeys(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in struct {
		Leaks []struct {
			Token string `json:"token"`
			URL   string `json:"url"`
		} `json:"leaks"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Leaks == nil {
		return keycard.Errorf(keycard.EBadRequest, `the body must be {"leaks": [{"token", "url"}]}`)
	}
	if len(in.Leaks) > maxLeakReports {
		return keycard.Invalid("leaks", "may hold at most 1000 entries")
	}
	reports := make([]keycard.LeakReport, len(in.Leaks))
	for i, l := range in.Leaks {
		reports[i] = keycard.LeakReport{Token: l.Token, URL: l.URL, Source: "keycard key scan"}
	}
	labels, err := s.store.ReportLeaks(r.Context(), principal(r), reports, !s.leakFlagOnly)
	if err != nil {
		return err
	}
	type answer struct {
		KeyHint string `json:"key_hint"`
		Label   string `json:"label"`
	}
	out := make([]answer, len(reports))
	for i, rep := range reports {
		out[i] = answer{KeyHint: tokens.Hint(rep.Token), Label: labels[i]}
	}
	return writeData(w, http.StatusOK, out)
}

// usageBucket is one period of a key's usage.
type usageBucket struct {
	Start       string `json:"start"`
	Requests    int64  `json:"requests"`
	OK          int64  `json:"ok"`
	ClientError int64  `json:"client_error"`
	Denied      int64  `json:"denied"`
	Throttled   int64  `json:"throttled"`
	ServerError int64  `json:"server_error"`
}

// keyUsage is GET /api/v1/api_keys/:id/usage?from=&to=&granularity=.
func (s *Server) keyUsage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rng, err := keycard.ParseUsageRange(q.Get("from"), q.Get("to"), q.Get("granularity"), time.Now())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	rows, err := s.store.KeyUsage(r.Context(), principal(r), id, rng)
	if err != nil {
		return err
	}
	buckets := make([]usageBucket, len(rows))
	for i, u := range rows {
		c := u.Counts
		buckets[i] = usageBucket{Start: timestamp(u.Start), Requests: c.Total(), OK: c[keycard.UsageOK],
			ClientError: c[keycard.UsageClientError], Denied: c[keycard.UsageDenied], Throttled: c[keycard.UsageThrottled],
			ServerError: c[keycard.UsageServerError]}
	}
	granularity := keycard.GranularityHour
	if rng.Step != time.Hour {
		granularity = keycard.GranularityDay
	}
	return writeData(w, http.StatusOK, resource{Type: "api_key_usage", ID: id, Attributes: map[string]any{
		"granularity": granularity, "from": timestamp(rng.From), "to": timestamp(rng.To), "buckets": buckets,
	}})
}
