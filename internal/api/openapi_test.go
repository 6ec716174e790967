package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// openAPIDoc loads and validates the OpenAPI document once per test run.
var openAPIDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

func loadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPI holds the document to the route table: every route is in
// it, and everything in it is a route.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("document is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	routes := map[string]bool{}
	for _, p := range f.api.mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue // the catch-all answering 404 in the envelope
		}
		routes[method+" "+path] = true
		if docOperation(doc, method, path) == nil {
			t.Errorf("route %s is not in openapi.yaml", p)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("openapi.yaml has %s %s, which is no route", method, path)
			}
		}
	}

	t.Run("served", func(t *testing.T) {
		status, body := f.do("GET", "/api/v1/openapi.json", noCred, "")
		if status != http.StatusOK {
			t.Fatalf("GET /api/v1/openapi.json: %d", status)
		}
		served, err := openapi3.NewLoader().LoadFromData([]byte(body))
		if err != nil {
			t.Fatalf("served document: %v", err)
		}
		if len(served.Paths.Map()) != len(doc.Paths.Map()) {
			t.Errorf("served document has %d paths, want %d", len(served.Paths.Map()), len(doc.Paths.Map()))
		}
	})

	t.Run("docs page", func(t *testing.T) {
		srv := httptest.NewServer(Docs())
		defer srv.Close()
		for _, path := range []string{DocsPath, DocsPath + "swagger-ui-bundle.js"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(b) < 100 {
				t.Errorf("GET %s: %d, %d bytes", path, resp.StatusCode, len(b))
			}
			if path == DocsPath && !bytes.Contains(b, []byte("/api/v1/openapi.json")) {
				t.Errorf("docs page does not load the document")
			}
		}
	})

	t.Run("a drifted answer fails", func(t *testing.T) {
		// The check below must be able to fail: an answer whose shape
		// the document does not allow is caught.
		req := httptest.NewRequest("GET", "/api/v1/properties", nil)
		rec := httptest.NewRecorder()
		rec.WriteHeader(http.StatusOK)
		rec.WriteString(`{"data":[{"type":"property","id":"not-a-uuid"}]}`)
		if err := checkExchange(doc, f.api, req, nil, rec.Result()); err == nil {
			t.Error("a list without meta and with a bad id passed the document")
		}
	})

	t.Run("a relationship item without attributes fails", func(t *testing.T) {
		// Every answer of the API tests is walked for relationship items
		// without attributes; the walk must be able to find one.
		const rt = `{"type":"room_type","id":"r1","attributes":{"id":"r1"},"relationships":{`
		for body, want := range map[string]string{
			rt + `"property":{"data":{"type":"property","id":"p1"}}}}`:                                                     "has no attributes",
			rt + `"facilities":{"data":[{"type":"facility","id":"f1","attributes":{"id":"f1"}}]}}}`:                        "has attributes.title <nil>",
			rt + `"property":{"data":{"type":"property","id":"p1","attributes":{"id":"p2","title":"A"}}}}}`:                "has attributes.id p2",
			`{"data":[{"type":"x","id":"x","attributes":{},"relationships":{"user":{"data":{"type":"user","id":"u1"}}}}]}`: "has no attributes",
		} {
			got := relationshipProblems([]byte(`{"data":` + body + `}`))
			if len(got) != 1 || !strings.Contains(got[0], want) {
				t.Errorf("%s: got %q, want one problem saying %q", body, got, want)
			}
		}
		ok := rt + `"property":{"data":{"type":"property","id":"p1","attributes":{"id":"p1","title":"A"}}},` +
			`"users":{"data":[{"type":"user","id":"u1","attributes":{"id":"u1","name":""}}]}}}`
		if got := relationshipProblems([]byte(`{"data":` + ok + `}`)); len(got) != 0 {
			t.Errorf("a well-formed answer: got %q, want no problem", got)
		}
	})
}

// docChecked wraps the API handler of a fixture: every request and answer
// of the API tests is held to the OpenAPI document. A request the API
// accepted (2xx) must match its operation's parameters and body; every
// answer must match its status's schema.
type docChecked struct {
	f   *fixture
	api *Server
}

func (d docChecked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	d.api.ServeHTTP(rec, r)
	res := rec.Result()
	if err := checkExchange(loadOpenAPI(d.f.t), d.api, r, reqBody, res); err != nil {
		// kin-openapi's message goes on to print the whole schema: its
		// first line says what is wrong, and where.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		d.f.t.Errorf("%s %s: %d answer does not match openapi.yaml: %s", r.Method, r.URL.Path, res.StatusCode, msg)
	}
	for _, msg := range relationshipProblems(rec.Body.Bytes()) {
		d.f.t.Errorf("%s %s: %d answer: %s", r.Method, r.URL.Path, res.StatusCode, msg)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// relationshipProblems walks every relationship of every resource in a
// JSON answer and says which items lack what Channex gives each one, to-one
// and to-many alike: attributes with the item's id and its name (title, or
// the member that names such a resource; see relationNameField). Channex's
// own JavaScript library reads attributes.id of every item.
func relationshipProblems(body []byte) []string {
	var v struct{ Data any }
	if json.Unmarshal(body, &v) != nil {
		return nil // not JSON, or not a JSON object: checkExchange says so
	}
	var problems []string
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", at, i), e)
			}
		case map[string]any:
			for k, e := range v {
				if k != "relationships" {
					walk(at+"."+k, e)
					continue
				}
				rels, ok := e.(map[string]any)
				if !ok {
					problems = append(problems, fmt.Sprintf("%s.relationships is %T, want an object", at, e))
					continue
				}
				for name, rel := range rels {
					problems = append(problems, relationProblems(at+".relationships."+name, rel)...)
				}
			}
		}
	}
	walk("data", v.Data)
	return problems
}

// relationProblems checks one relationship, {"data": item or [items]}.
func relationProblems(at string, rel any) []string {
	obj, _ := rel.(map[string]any)
	data, ok := obj["data"]
	if !ok {
		return []string{fmt.Sprintf("%s has no data", at)}
	}
	items, many := data.([]any)
	if !many {
		items = []any{data}
	}
	var problems []string
	for i, item := range items {
		where := at + ".data"
		if many {
			where = fmt.Sprintf("%s[%d]", where, i)
		}
		obj, _ := item.(map[string]any)
		typ, _ := obj["type"].(string)
		id, _ := obj["id"].(string)
		attrs, _ := obj["attributes"].(map[string]any)
		field := relationNameField(typ)
		switch name, named := attrs[field].(string); {
		case typ == "" || id == "":
			problems = append(problems, fmt.Sprintf("%s = %v, want a type and an id", where, item))
		case attrs == nil:
			problems = append(problems, fmt.Sprintf("%s (a %s) has no attributes, want {id, %s}", where, typ, field))
		case attrs["id"] != id:
			problems = append(problems, fmt.Sprintf("%s (a %s) has attributes.id %v, want %q", where, typ, attrs["id"], id))
		case field != "" && (!named || (name == "" && field != "name")):
			problems = append(problems, fmt.Sprintf("%s (a %s) has attributes.%s %v, want its %s", where, typ, field, attrs[field], field))
		}
	}
	return problems
}

// relationNameField is the attribute that names a related resource of a
// type: its title, unless it has none, or "" when nothing names it. A
// user's name may be empty (users are created without one); a title never
// is.
func relationNameField(typ string) string {
	switch typ {
	case "user":
		return "name"
	case "booking":
		return "unique_id"
	case "webhook":
		return "" // a webhook has no name
	case "known_mapping":
		return "" // a pair of channel codes, named by them
	}
	return "title"
}

func checkExchange(doc *openapi3.T, s *Server, r *http.Request, reqBody []byte, res *http.Response) error {
	if r.Method == http.MethodOptions {
		return nil // CORS preflight, answered before routing
	}
	body, _ := io.ReadAll(res.Body)
	route, params, pattern := docRoute(doc, s, r)
	if route == nil && strings.Contains(pattern, " ") {
		return fmt.Errorf("route %s is not in the document", pattern)
	}
	if route == nil {
		// No route: the catch-all's 404, in the envelope.
		return doc.Components.Schemas["Error"].Value.VisitJSON(mustJSON(body), openapi3.EnableJSONSchema2020())
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // the API reads every body as JSON
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	// A request the API took whole must be one the document allows. ARI
	// writes take what they can and answer the rest in meta.warnings.
	if res.StatusCode < 300 && !bytes.Contains(body, []byte(`"warnings":[{`)) {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return err
		}
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// docRoute finds the document's operation for r through the API's own
// route table, and the path parameters by the pattern's segments.
func docRoute(doc *openapi3.T, s *Server, r *http.Request) (route *routers.Route, params map[string]string, pattern string) {
	canon := r.Clone(context.Background())
	canon.URL.Path = canonicalPath(r.URL.Path)
	_, pattern = s.mux.Handler(canon)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return nil, nil, pattern
	}
	op := docOperation(doc, method, path)
	if op == nil {
		return nil, nil, pattern
	}
	params = map[string]string{}
	have := strings.Split(canon.URL.Path, "/")
	for i, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && i < len(have) {
			params[strings.Trim(seg, "{}")] = have[i]
		}
	}
	return &routers.Route{Spec: doc, Path: path, PathItem: doc.Paths.Value(path), Method: method, Operation: op}, params, pattern
}

// docOperation returns the document's operation for a route pattern's
// method and path, or nil.
func docOperation(doc *openapi3.T, method, path string) *openapi3.Operation {
	if item := doc.Paths.Value(path); item != nil {
		return item.GetOperation(method)
	}
	return nil
}

func mustJSON(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}
