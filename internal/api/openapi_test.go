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
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
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
