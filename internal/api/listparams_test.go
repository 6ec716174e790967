package api

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// listRoute is a list route of the API and the fields its cases use.
type listRoute struct {
	path string
	cred cred
	// miss is a filter on a known field that selects nothing.
	miss string
	// time is a time field of the list ("" when it has none).
	time string
	// order is a field to order by; orderStatus is the answer to
	// order[order]=desc (the feed keeps its own order and refuses it).
	order       string
	orderStatus int
	// paged lists take pagination; the /options lists answer everything.
	paged bool
	// unknown names no field of the list: date_from, which clients send
	// to bookings, unless the list has it.
	unknown string
}

// listRoutes are every list route of the API (the GET routes without an
// {id} at the end, other than the ARI reads, which are maps). TestListRoutes
// checks that none is missing.
var listRoutes = []listRoute{
	{path: "/api/v1/properties", miss: "filter[title]=Nowhere", time: "created_at", order: "title", paged: true},
	{path: "/api/v1/properties/options", miss: "filter[currency]=JPY", order: "title"},
	{path: "/api/v1/properties/health", miss: "filter[title]=Nowhere", time: "updated_at", order: "title", paged: true},
	{path: "/api/v1/groups", miss: "filter[title]=Nowhere", time: "inserted_at", order: "title", paged: true},
	{path: "/api/v1/property_users", miss: "filter[role]=nobody", time: "created_at", order: "role", paged: true},
	{path: "/api/v1/group_users", miss: "filter[role]=nobody", time: "created_at", order: "role", paged: true},
	{path: "/api/v1/api_keys", miss: "filter[name]=Nowhere", time: "created_at", order: "name", paged: true},
	{path: "/api/v1/audit_events", miss: "filter[event]=nothing", time: "occurred_at", order: "event", paged: true},
	{path: "/api/v1/room_types", miss: "filter[title]=Nowhere", time: "created_at", order: "count_of_rooms", paged: true},
	{path: "/api/v1/room_types/options", miss: "filter[title]=Nowhere", time: "updated_at", order: "title"},
	{path: "/api/v1/rate_plans", miss: "filter[sell_mode]=per_person&filter[rate_mode]=derived", time: "updated_at", order: "currency", paged: true},
	{path: "/api/v1/rate_plans/options", miss: "filter[title]=Nowhere", time: "created_at", order: "title"},
	{path: "/api/v1/hotel_policies", miss: "filter[currency]=JPY", time: "inserted_at", order: "inserted_at", paged: true},
	{path: "/api/v1/taxes", miss: "filter[is_inclusive]=false", time: "created_at", order: "max_nights", paged: true},
	{path: "/api/v1/tax_sets", miss: "filter[title]=Nowhere", time: "inserted_at", order: "inserted_at", paged: true},
	{path: "/api/v1/cancellation_policies", miss: "filter[title]=Nowhere", time: "inserted_at", order: "inserted_at", paged: true},
	{path: "/api/v1/property_facilities", miss: "filter[category]=Nowhere", order: "title", paged: true},
	{path: "/api/v1/property_facilities/options", miss: "filter[title]=Nowhere", order: "category"},
	{path: "/api/v1/room_facilities", miss: "filter[title]=Nowhere", order: "title", paged: true},
	{path: "/api/v1/room_facilities/options", miss: "filter[id]=Nowhere", order: "id"},
	{path: "/api/v1/facilities/options", miss: "filter[kind]=Nowhere", order: "kind"},
	{path: "/api/v1/photos", miss: "filter[position][gt]=5", time: "created_at", order: "position", paged: true},
	{path: "/api/v1/bookings", miss: "filter[status]=cancelled", time: "inserted_at", order: "arrival_date", paged: true},
	{path: "/api/v1/booking_revisions", miss: "filter[status]=modified", time: "inserted_at", order: "inserted_at", paged: true},
	{path: "/api/v1/booking_revisions/feed", miss: "filter[status]=cancelled", time: "inserted_at", order: "inserted_at", orderStatus: 400, paged: true},
	{path: "/api/v1/tasks", miss: "filter[state]=failed", time: "inserted_at", order: "type", paged: true, unknown: "arrival"},
	{path: "/api/v1/webhooks", miss: "filter[is_active]=false", time: "updated_at", order: "callback_url", paged: true},
	{path: "/api/v1/channels", miss: "filter[channel]=BookingCom", time: "inserted_at", order: "title", paged: true},
	{path: "/api/v1/channels/options", miss: "filter[is_active]=true", time: "created_at", order: "title"},
	{path: "/api/v1/channel_events", miss: "filter[status]=failed", time: "inserted_at", order: "event", paged: true},
	{path: "/api/v1/channel_availability_rules", miss: "filter[type]=close_out", time: "inserted_at", order: "start_date", paged: true},
	{path: "/api/v1/channels/{channel}/logs", miss: "filter[status_code]=500", time: "inserted_at", order: "method", paged: true},
	{path: "/api/v1/channel_events/{event}/logs", miss: "filter[method]=POST", time: "created_at", order: "url", paged: true},
	{path: "/api/v1/webhooks/{hook}/deliveries", miss: "filter[attempts][gte]=1", time: "created_at", order: "status", paged: true},
}

// doWithHeader sends one request through the fixture's handler and
// returns the status, the answer's headers and its body.
func doWithHeader(f *fixture, path string, c cred) (int, http.Header, string) {
	f.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range f.headers(c) {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

// TestListParameters holds every list to Channex's generic list
// parameters: a filter on any field of the list, with operators, an
// order on any of them, the per_page alias, and a parameter that names no
// field ignored, as Channex ignores it, and named in a Warning header.
func TestListParameters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		f := bk.fixture
		ids := setupFuzzIDs(t, f)
		hook := bk.send(t, "POST", "/api/v1/webhooks", credOwnerA, `{"webhook":{"property_id":"{p1}","callback_url":"https://93.184.216.34/h",
			"event_mask":"*","is_active":true,"send_data":true}}`, 201)
		ids = append(ids, "{hook}", data(hook)["id"].(string))
		// A channel on a test channel server, probed once: its channel log
		// then has an exchange.
		f.setAPI(func(c *Config) { c.Channels = openchannel.NewClient(true) })
		ota := openchanneltest.New(t, "k", "L1", channelMapping)
		channel := bk.send(t, "POST", "/api/v1/channels", credOwnerA, `{"channel":{"channel":"OpenChannel","properties":["{p1}"],
			"settings":{"endpoint":"`+ota.Endpoint()+`","api_key":"k","hotel_code":"L1"}}}`, 201)
		bk.send(t, "POST", "/api/v1/channels/test_connection", credOwnerA, `{"channel_id":"`+data(channel)["id"].(string)+`"}`, 200)
		events := bk.send(t, "GET", "/api/v1/channel_events?filter[event]=test_connection", credOwnerA, "", 200)["data"].([]any)
		ids = append(ids, "{channel}", data(channel)["id"].(string), "{event}", events[0].(map[string]any)["id"].(string))
		bk.send(t, "POST", "/api/v1/channel_availability_rules", credOwnerA, `{"channel_availability_rule":{"property_id":"{p1}","title":"Hold",
			"type":"max_availability","value":3,"start_date":"{d0}","affected_channels":["`+data(channel)["id"].(string)+`"],"affected_room_types":["{rt1}"]}}`, 201)
		bk.send(t, "POST", "/api/v1/group_users", credOwnerA, `{"invite":{"group_id":"{groupLis}","user_email":"g@example.com","role":"user"}}`, 201)
		bk.send(t, "POST", "/api/v1/availability", credKeyP1, `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d3}","availability":3}]}`, 200)
		bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("R1", ""), 201)
		bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("R2", ""), 201)
		x := func(s string) string { return strings.NewReplacer(ids...).Replace(bk.x(s)) }

		for _, lr := range listRoutes {
			t.Run(strings.TrimPrefix(lr.path, "/api/v1/"), func(t *testing.T) {
				c := lr.cred
				if c == "" {
					c = credOwnerA
				}
				get := func(t *testing.T, query string) (int, http.Header, string) {
					t.Helper()
					return doWithHeader(f, x(lr.path)+"?"+query, c)
				}
				// items reads a 200 list answer and checks that it carries
				// no Warning: every parameter it was sent was used.
				items := func(t *testing.T, query string) []any {
					t.Helper()
					status, h, body := get(t, query)
					if status != 200 {
						t.Fatalf("GET %s?%s: status %d, want 200; body: %s", lr.path, query, status, redact(f, body))
					}
					if w := h.Values("Warning"); len(w) > 0 {
						t.Errorf("GET %s?%s: Warning %q, want none", lr.path, query, w)
					}
					list, _ := decode(t, body)["data"].([]any)
					return list
				}
				all := items(t, "")
				if len(all) == 0 {
					t.Fatalf("GET %s lists nothing: the cases below would prove nothing", lr.path)
				}

				t.Run("known field eq", func(t *testing.T) {
					if got := items(t, lr.miss); len(got) != 0 {
						t.Errorf("?%s: got %d items, want 0", lr.miss, len(got))
					}
				})
				if lr.time != "" {
					t.Run("gte on a time field", func(t *testing.T) {
						if got := items(t, "filter["+lr.time+"][gte]=2000-01-01"); len(got) != len(all) {
							t.Errorf("?filter[%s][gte]=2000-01-01: got %d items, want %d", lr.time, len(got), len(all))
						}
						if got := items(t, "filter["+lr.time+"][gte]=2999-01-01T00:00:00"); len(got) != 0 {
							t.Errorf("?filter[%s][gte]=2999-01-01T00:00:00: got %d items, want 0", lr.time, len(got))
						}
					})
				}
				t.Run("order desc", func(t *testing.T) {
					if lr.orderStatus == 0 {
						items(t, "order["+lr.order+"]=desc")
						return
					}
					if status, _, body := get(t, "order["+lr.order+"]=desc"); status != lr.orderStatus {
						t.Errorf("?order[%s]=desc: status %d, want %d; body: %s", lr.order, status, lr.orderStatus, body)
					}
				})
				t.Run("unknown filter is ignored and named", func(t *testing.T) {
					unknown := cmp.Or(lr.unknown, "date_from")
					status, h, body := get(t, "filter["+unknown+"]=2020-01-01&order[colour]=asc")
					if status != 200 {
						t.Fatalf("status %d, want 200; body: %s", status, redact(f, body))
					}
					want := []string{`299 keycard "ignored parameter filter[` + unknown + `]"`, `299 keycard "ignored parameter order[colour]"`}
					if got := h.Values("Warning"); strings.Join(got, "|") != strings.Join(want, "|") {
						t.Errorf("Warning = %q, want %q", got, want)
					}
					if got, _ := decode(t, body)["data"].([]any); len(got) != len(all) {
						t.Errorf("got %d items, want %d: an ignored filter must not filter", len(got), len(all))
					}
				})
				t.Run("bad value on a known field", func(t *testing.T) {
					query, name := "filter[title][gt]=a,b", "filter[title]"
					if lr.time != "" {
						query, name = "filter["+lr.time+"][gte]=yesterday", "filter["+lr.time+"]"
					}
					status, _, body := get(t, query)
					if status != 400 || !strings.Contains(body, name) || !strings.Contains(body, `"code":"bad_request"`) {
						t.Errorf("?%s: status %d, body %s; want a 400 naming %s", query, status, body, name)
					}
				})
				if lr.paged {
					t.Run("per_page alias", func(t *testing.T) {
						status, _, body := get(t, "pagination[per_page]=1&pagination[page]=1")
						var got struct {
							Data []any `json:"data"`
							Meta struct {
								Limit, Total int
							} `json:"meta"`
						}
						if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil {
							t.Fatalf("status %d (%v), want 200; body: %s", status, err, redact(f, body))
						}
						if got.Meta.Limit != 1 || len(got.Data) != 1 || got.Meta.Total < len(all) {
							t.Errorf("limit %d, %d items, total %d; want limit 1, 1 item, total at least %d", got.Meta.Limit, len(got.Data), got.Meta.Total, len(all))
						}
					})
				}
			})
		}
	})
}

// TestListRoutes checks that listRoutes names every list route of the
// route table, so that a new list is held to TestListParameters, and that
// the OpenAPI document gives each the Warning header.
func TestListRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	covered := map[string]bool{}
	for _, lr := range listRoutes {
		covered[strings.NewReplacer("{hook}", "{id}", "{channel}", "{id}", "{event}", "{id}").Replace(lr.path)] = true
	}
	notLists := map[string]bool{"/api/v1/availability": true, "/api/v1/restrictions": true, "/api/v1/organization": true,
		"/api/v1/api_keys/{id}/usage": true, "/api/v1/openapi.json": true, "/healthz": true, "/readyz": true,
		// The adapter catalogue: one fixed item, no list parameters in Channex.
		"/api/v1/channels/list": true, "/api/v1/channels/codes": true}
	for _, p := range f.api.mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || method != "GET" || strings.HasSuffix(path, "}") || notLists[path] {
			continue
		}
		if !covered[path] {
			t.Errorf("list route %s is not in listRoutes", path)
		}
		if op := docOperation(loadOpenAPI(t), method, path); op != nil {
			if ok := op.Responses.Value("200"); ok == nil || ok.Value == nil || ok.Value.Headers["Warning"] == nil {
				t.Errorf("openapi.yaml: GET %s does not name the Warning header of its 200 answer", path)
			}
		}
	}
}

func TestParseListQueryPagination(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query       string
		page, limit int
		ignored     []string
		err         string
	}{
		{query: "pagination[per_page]=5", page: 1, limit: 5},
		{query: "pagination[page]=3&pagination[per_page]=25", page: 3, limit: 25},
		{query: "pagination%5Bper_page%5D=500", page: 1, limit: 100},
		{query: "pagination[per_page]=0", err: "pagination[per_page] must be a whole number"},
		{query: "pagination[limit]=5&pagination[per_page]=5", err: "is given more than once"},
		{query: "pagination[per_page]=5&pagination[limit]=5", err: "is given more than once"},
		{query: "pagination[offset]=20&pagination[size]=5", page: 1, limit: 10, ignored: []string{"pagination[offset]", "pagination[size]"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, err := parseListQuery(tc.query)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if q.Page != tc.page || q.Limit != tc.limit || strings.Join(q.Ignored.Names(), ",") != strings.Join(tc.ignored, ",") {
				t.Errorf("got page %d, limit %d, ignored %q; want %d, %d, %q", q.Page, q.Limit, q.Ignored.Names(), tc.page, tc.limit, tc.ignored)
			}
		})
	}
}

func TestWarnIgnored(t *testing.T) {
	t.Parallel()
	q, err := parseListQuery("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`filter[a"b]`, `filter[a\b]`, "filter[caf\u00e9]", "filter[a\x01]"} {
		q.Ignored.Add(name)
	}
	for i := range maxWarnings + 2 {
		q.Ignored.Add("filter[f" + strings.Repeat("x", i) + "]")
	}
	rec := httptest.NewRecorder()
	warnIgnored(rec, q)
	got := rec.Header().Values("Warning")
	want := []string{`299 keycard "ignored parameter filter[a\"b]"`, `299 keycard "ignored parameter filter[a\\b]"`,
		`299 keycard "ignored parameter filter[caf%C3%A9]"`, `299 keycard "ignored parameter filter[a%01]"`}
	if len(got) != maxWarnings+1 {
		t.Fatalf("got %d Warning values, want %d", len(got), maxWarnings+1)
	}
	if strings.Join(got[:4], "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got[:4], want)
	}
	if last := got[maxWarnings]; last != `299 keycard "ignored 6 more parameters"` {
		t.Errorf("last Warning = %q, want the count of the rest", last)
	}
}
