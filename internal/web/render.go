package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keycard/keycard/internal/keycard"
)

//go:embed templates static
var files embed.FS

// page is what the layout template renders around a page's own content.
type page struct {
	Title string
	// Nav names the navigation entry of the page: "keys", "properties"
	// or "channels".
	Nav     string
	CSRF    string
	User    *keycard.User
	Org     *keycard.Organization
	Staging bool
	// Data is the page's own content.
	Data any
}

// parsePages parses every page template with the layout around it.
func parsePages(funcs template.FuncMap) map[string]*template.Template {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := make(map[string]*template.Template, len(names))
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", name))
	}
	return pages
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) (string, error) {
			a, ok := s.static[name]
			if !ok {
				return "", fmt.Errorf("web: no static file %q", name)
			}
			return "/static/" + name + "?v=" + a.version, nil
		},
		"when":     formatTime,
		"day":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"clock":    func(t time.Time) string { return t.UTC().Format("15:04 UTC") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"sentence": sentence,
		// list makes the arguments of a template that takes several.
		"list": func(v ...any) []any { return v },
	}
}

// formatTime writes t for people: the server's times are UTC, and saying
// so avoids any doubt.
func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// sentence capitalises a validation message and ends it with a full stop.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// render writes a page with the layout around it. It is rendered into a
// buffer first, so that a template error becomes a clean 500 rather than
// half a page. Like every response but a static file, it goes out with
// Cache-Control: no-store (see ServeHTTP): pages are personal and carry a
// CSRF token, and the page showing a new key must never be stored.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) error {
	if err := s.fill(r, &pg); err != nil {
		return err
	}
	return s.write(w, status, name, pg)
}

// fill sets the parts of the layout that come from the request: the
// signed-in user and organisation, and the CSRF token of its forms.
func (s *Server) fill(r *http.Request, pg *page) error {
	pg.Staging = s.mode != keycard.ModeProduction
	if pg.CSRF == "" {
		if secret := formSecret(r); secret != "" {
			pg.CSRF = csrfToken(secret)
		}
	}
	v := viewerFrom(r)
	if v == nil {
		return nil
	}
	var err error
	if pg.User, err = s.store.User(r.Context(), v.principal.UserID); err != nil {
		return err
	}
	pg.Org, err = s.store.Organization(r.Context(), v.principal.OrganizationID)
	return err
}

func (s *Server) write(w http.ResponseWriter, status int, name string, pg page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// errorPage is the content of the error page.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

// serveError renders err as an HTML page. A keycard.Error's message is
// safe to show; anything else is logged with its cause and shown as a 500
// with no internal text.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errors.AsType[*keycard.Error](err)
	if !ok {
		if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
			e = keycard.Errorf(keycard.ETooLarge, "The form is larger than %d bytes.", maxErr.Limit)
		} else {
			s.log.ErrorContext(r.Context(), "web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			e = &keycard.Error{Code: keycard.EInternal}
		}
	}
	if e.Code == keycard.EUnauthorized {
		clearCookie(w, r, sessionCookie)
		toSignIn(w, r)
		return
	}
	ep := errorPage{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "The server could not complete the request. Please try again in a moment."}
	switch e.Code {
	case keycard.EBadRequest:
		ep = errorPage{http.StatusBadRequest, "The request could not be understood", "Go back and try again."}
	case keycard.EForbidden:
		ep = errorPage{http.StatusForbidden, "Not allowed", "You are not allowed to do this."}
	case keycard.ENotFound:
		ep = errorPage{http.StatusNotFound, "Page not found", "There is nothing here, or it is not yours to see."}
	case keycard.ETooLarge:
		ep = errorPage{http.StatusRequestEntityTooLarge, "Too much data", "The form sent too much data."}
	case keycard.EInvalid:
		ep = errorPage{http.StatusUnprocessableEntity, "That cannot be done", "The request was refused."}
	}
	if msg := detailText(e.Details); msg != "" {
		ep.Message = msg
	}
	pg := page{Title: ep.Heading, Data: ep}
	// The page still shows who is signed in, unless that is what failed.
	if err := s.fill(r, &pg); err != nil {
		pg.User, pg.Org = nil, nil
	}
	if err := s.write(w, ep.Status, "error", pg); err != nil {
		s.log.ErrorContext(r.Context(), "web: render error page", "err", err)
		http.Error(w, ep.Heading, ep.Status)
	}
}

// detailText returns a readable message from an Error's details.
func detailText(details any) string {
	switch d := details.(type) {
	case string:
		return sentence(d)
	case []string:
		return sentence(strings.Join(d, "; "))
	case keycard.FieldErrors:
		var msgs []string
		for field, list := range d {
			for _, m := range list {
				msgs = append(msgs, strings.ReplaceAll(field, "_", " ")+" "+m)
			}
		}
		slices.Sort(msgs)
		return sentence(strings.Join(msgs, "; "))
	}
	return ""
}

// asset is an embedded static file with a version from its content, so
// that it may be cached for good under a URL that changes with it.
type asset struct {
	body    []byte
	version string
}

func loadAssets() map[string]*asset {
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*asset, len(entries))
	for _, e := range entries {
		body, err := files.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		out[e.Name()] = &asset{body: body, version: hex.EncodeToString(sum[:6])}
	}
	return out
}

// serveStatic serves an embedded asset. A request for the current version
// may be cached for a year; any other is revalidated through its ETag.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) error {
	a, ok := s.static[r.PathValue("name")]
	if !ok {
		return keycard.NotFound()
	}
	h := w.Header()
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+a.version+`"`)
	http.ServeContent(w, r, r.PathValue("name"), time.Time{}, bytes.NewReader(a.body))
	return nil
}
