package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// Days of usage the Organisation page shows: a sparkline per key in the
// list, a chart in a key's detail view.
const (
	sparkDays = 7
	chartDays = 30
)

// keyDetailView is a key's detail page: its usage over the last 30 days.
type keyDetailView struct {
	Key   *keycard.APIKey
	Chart template.HTML
	Days  []dayUsage
	// Requests and Errors are the 30 days' totals.
	Requests, Errors int64
}

// dayUsage is one day of the chart's table.
type dayUsage struct {
	Day                                             time.Time
	Requests, OK, Denied, Throttled, Client, Server int64
}

func (s *Server) keyDetailPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), keycard.PrincipalFrom(r.Context())
	k, err := s.store.APIKey(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if k.External {
		// Another organisation's key: its usage is its own organisation's.
		return keycard.NotFound()
	}
	usage, err := s.store.KeysUsage(ctx, p, []string{k.ID}, chartDays)
	if err != nil {
		return err
	}
	days := usage[k.ID]
	v := &keyDetailView{Key: k, Chart: usageChart(days)}
	for i := len(days) - 1; i >= 0; i-- { // newest first
		c := days[i].Counts
		v.Requests += c.Total()
		v.Errors += c.Errors()
		if c.Total() > 0 {
			v.Days = append(v.Days, dayUsage{Day: days[i].Start, Requests: c.Total(), OK: c[keycard.UsageOK],
				Denied: c[keycard.UsageDenied], Throttled: c[keycard.UsageThrottled], Client: c[keycard.UsageClientError],
				Server: c[keycard.UsageServerError]})
		}
	}
	return s.render(w, r, http.StatusOK, "api_key_detail", page{Title: "API key “" + k.Name + "”", Nav: "keys", Data: v})
}

// dismissLeak takes down a leaked key's banner on the Organisation page.
func (s *Server) dismissLeak(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DismissLeak(r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, pathAPIKeys+"?dismissed="+url.QueryEscape(r.PathValue("id")), http.StatusSeeOther)
	return nil
}

// addSparklines gives each row of the key list its last 7 days.
func (s *Server) addSparklines(r *http.Request, rows []keyRow) error {
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	usage, err := s.store.KeysUsage(r.Context(), keycard.PrincipalFrom(r.Context()), ids, sparkDays)
	if err != nil {
		return err
	}
	for i := range rows {
		if days, ok := usage[rows[i].ID]; ok {
			rows[i].Spark = sparkline(days)
		}
	}
	return nil
}

// The charts are inline SVG drawn here: no script, no external asset, no
// style attribute (the page's CSP allows style sheets from itself only);
// the colours come from app.css by class. Only numbers and dates go into
// them, so they are safe as template.HTML.

// sparkline draws requests (and, below them, errors) per day as two lines.
func sparkline(days []keycard.KeyUsage) template.HTML {
	const w, h = 84, 20
	var top int64 = 1
	var total, errs int64
	for _, d := range days {
		top = max(top, d.Counts.Total())
		total += d.Counts.Total()
		errs += d.Counts.Errors()
	}
	points := func(v func(keycard.UsageCounts) int64) string {
		var b strings.Builder
		for i, d := range days {
			x := float64(i) * float64(w-2) / float64(max(1, len(days)-1))
			y := float64(h-2) - float64(v(d.Counts))*float64(h-4)/float64(top)
			fmt.Fprintf(&b, "%.1f,%.1f ", x+1, y)
		}
		return strings.TrimSpace(b.String())
	}
	label := fmt.Sprintf("Last %d days: %s, %s", len(days), plural(total, "request"), plural(errs, "error"))
	return template.HTML(fmt.Sprintf(`<svg class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`+
		`<polyline class="spark-requests" fill="none" points="%s"/><polyline class="spark-errors" fill="none" points="%s"/></svg>`,
		w, h, w, h, label, label, points(keycard.UsageCounts.Total), points(keycard.UsageCounts.Errors)))
}

// usageChart draws one bar per day, its errors stacked on its successes,
// with the largest day's count on the axis and each bar's numbers in its
// title.
func usageChart(days []keycard.KeyUsage) template.HTML {
	const w, h, left, bottom, top = 640, 180, 44, 22, 10
	var most int64
	for _, d := range days {
		most = max(most, d.Counts.Total())
	}
	scale := niceCeil(most)
	plotH := float64(h - bottom - top)
	slot := float64(w-left-4) / float64(max(1, len(days)))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="usage-chart" id="usage-chart" width="100%%" viewBox="0 0 %d %d" role="img" aria-labelledby="usage-chart-title">`, w, h)
	fmt.Fprintf(&b, `<title id="usage-chart-title">Requests per day, last %d days: successes and errors</title>`, len(days))
	// Axis: zero, half and the top of the scale.
	for _, f := range []int64{0, scale / 2, scale} {
		y := float64(h-bottom) - float64(f)*plotH/float64(scale)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			left, w, y, y, left-6, y+4, compact(f))
	}
	for i, d := range days {
		c := d.Counts
		x := float64(left) + float64(i)*slot + 1
		bw := max(1, slot-2)
		okH := float64(c[keycard.UsageOK]) * plotH / float64(scale)
		errH := float64(c.Errors()) * plotH / float64(scale)
		base := float64(h - bottom)
		fmt.Fprintf(&b, `<g class="day" data-day="%s" data-requests="%d" data-errors="%d"><title>%s: %s, %s</title>`,
			d.Start.Format(time.DateOnly), c.Total(), c.Errors(), d.Start.Format("Mon 2 Jan"), plural(c.Total(), "request"), plural(c.Errors(), "error"))
		fmt.Fprintf(&b, `<rect class="bar-hit" x="%.1f" y="%d" width="%.1f" height="%.1f"/>`, x, top, bw, plotH)
		if okH > 0 {
			fmt.Fprintf(&b, `<rect class="bar-ok" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, base-okH, bw, okH)
		}
		if errH > 0 {
			fmt.Fprintf(&b, `<rect class="bar-errors" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, base-okH-errH, bw, errH)
		}
		b.WriteString(`</g>`)
		// A date every week, and the last day's, none so close to the
		// next that they overlap.
		if i%7 == 0 && len(days)-1-i >= 4 || i == len(days)-1 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+bw/2, h-6, d.Start.Format("2 Jan"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil is the smallest of 1, 2, 5 times a power of ten at least n
// (and at least 1), for a chart's scale.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// compact writes n for an axis: 950, 1.5k, 2M.
func compact(n int64) string {
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatInt(n, 10)
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}
