package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the OpenAPI 3.1 document of the whole API. It is written
// by hand, as YAML for its readers; TestOpenAPI checks it against the
// routes and against every answer of the API tests.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIJSON returns the OpenAPI document as JSON. It is converted once.
var OpenAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
})

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := OpenAPIJSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(b)
	return err
}

// DocsPath is where Docs is served.
const DocsPath = "/docs/"

// Docs serves the API reference rendered from the OpenAPI document by
// Swagger UI, whose assets are embedded in the binary: the page needs no
// network beyond this server.
func Docs() http.Handler {
	return v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "keycard API",
		SwaggerJSON: "/api/v1/openapi.json",
		BasePath:    DocsPath,
	})
}

// routeMux is the API's route table. It records every pattern, so that
// the tests can hold the OpenAPI document to the routes, and each route's
// declared access (see route), so that they can hold every route to
// having one.
type routeMux struct {
	*http.ServeMux
	patterns []string
	access   map[string]routeAccess
}

// Handle registers h for pattern. A handler made by Server.public,
// account, reads, writes or needs brings its declared access; any other
// is undeclared, and no API key may use it.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	if rt, ok := h.(route); ok {
		if m.access == nil {
			m.access = map[string]routeAccess{}
		}
		m.access[pattern] = rt.access
	} else {
		h = undeclared{h}
	}
	m.ServeMux.Handle(pattern, h)
}
