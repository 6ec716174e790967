package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// parseListQuery reads Channex list parameters from a raw query string:
// pagination[page], pagination[limit] (or its alias pagination[per_page]),
// filter[f]=a,b, filter[f][op]=v and order[f]=asc|desc. Brackets may come
// raw or percent-encoded, empty pairs ("?&&") are skipped, and order keys
// keep the order they came in. Other pagination[...] keys are recorded in
// q.Ignored, as the list's store records filters and orders on fields it
// does not have.
func parseListQuery(rawQuery string) (keycard.ListQuery, error) {
	q := keycard.ListQuery{Page: 1, Limit: keycard.DefaultLimit, Ignored: &keycard.Ignored{}}
	bad := func(format string, args ...any) (keycard.ListQuery, error) {
		return keycard.ListQuery{}, keycard.Errorf(keycard.EBadRequest, format, args...)
	}
	// Each list parameter may come once: a repeated one would otherwise
	// quietly mean its last (or first) value.
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(rawKey)
		val, err2 := url.QueryUnescape(rawVal)
		if err1 != nil || err2 != nil {
			return bad("the query string is not correctly percent-encoded")
		}
		if !keycard.ValidText(key) || !keycard.ValidText(val) {
			return bad("the query string must be UTF-8 without NUL characters")
		}
		name, path, ok := splitBrackets(key)
		if !ok {
			return bad("query parameter %q is malformed", key)
		}
		if name == "pagination" || name == "filter" || name == "order" {
			canonical := name + "[" + strings.Join(path, "][") + "]"
			if name == "filter" && len(path) == 2 && path[1] == keycard.OpEq {
				canonical = "filter[" + path[0] + "]" // filter[f][eq] is filter[f]
			}
			if canonical == "pagination[per_page]" || canonical == "pagination[limit]" {
				// Two names for one parameter.
				if seen["pagination[per_page]"] || seen["pagination[limit]"] {
					return bad("pagination[limit] (or pagination[per_page], its other name) is given more than once; give one")
				}
			}
			if seen[canonical] {
				return bad("query parameter %s is given more than once; give it once, with a comma-separated list where it takes several values", canonical)
			}
			seen[canonical] = true
		}
		switch name {
		case "pagination":
			n, err := strconv.Atoi(val)
			switch {
			case len(path) != 1:
				return bad("query parameter %q is malformed", key)
			case path[0] == "page":
				if err != nil || n < 1 || n > keycard.MaxPage {
					return bad("pagination[page] must be a whole number from 1 to %d", keycard.MaxPage)
				}
				q.Page = n
			case path[0] == "limit" || path[0] == "per_page":
				// per_page is what some clients send for the page size;
				// pagination[page] then counts pages of that size.
				if err != nil || n < 1 {
					return bad("pagination[%s] must be a whole number from 1 to %d", path[0], keycard.MaxLimit)
				}
				q.Limit = min(n, keycard.MaxLimit)
			default:
				q.Ignored.Add(key)
			}
		case "filter":
			if len(path) < 1 || len(path) > 2 || path[0] == "" {
				return bad("query parameter %q is malformed", key)
			}
			op := keycard.OpEq
			if len(path) == 2 {
				op = path[1]
			}
			switch op {
			case keycard.OpEq, keycard.OpNot, keycard.OpGt, keycard.OpGte, keycard.OpLt, keycard.OpLte:
			default:
				return bad("filter operator %q is not one of eq, not, gt, gte, lt, lte", op)
			}
			var vals []string
			for v := range strings.SplitSeq(val, ",") {
				if v = strings.TrimSpace(v); v != "" {
					vals = append(vals, v)
				}
			}
			if len(vals) == 0 {
				return bad("filter[%s] needs a value", path[0])
			}
			q.Filters = append(q.Filters, keycard.Filter{Field: path[0], Op: op, Values: vals})
		case "order":
			if len(path) != 1 || path[0] == "" {
				return bad("query parameter %q is malformed", key)
			}
			switch strings.ToLower(val) {
			case "asc":
				q.Order = append(q.Order, keycard.Order{Field: path[0]})
			case "desc":
				q.Order = append(q.Order, keycard.Order{Field: path[0], Desc: true})
			default:
				return bad("order[%s] must be asc or desc", path[0])
			}
		}
		// Other parameters (force, relationships, ...) belong to their
		// handlers or are ignored.
	}
	return q, nil
}

// splitBrackets splits "filter[date][gte]" into "filter" and
// ["date", "gte"]. A key without brackets has an empty path.
func splitBrackets(key string) (name string, path []string, ok bool) {
	i := strings.IndexByte(key, '[')
	if i < 0 {
		return key, nil, true
	}
	name, rest := key[:i], key[i:]
	for rest != "" {
		if rest[0] != '[' {
			return "", nil, false
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", nil, false
		}
		path = append(path, rest[1:end])
		rest = rest[end+1:]
	}
	return name, path, true
}

// maxWarnings bounds the Warning headers of one answer; a query naming
// more unknown parameters gets one more saying how many were left out.
const maxWarnings = 20

// warnIgnored names each list parameter that q's list ignored in a
// "Warning: 299 keycard" header, one value each (RFC 9111 section 5.5's
// format; 299 is a persistent miscellaneous warning). Channex ignores
// them silently; the header lets a developer see a filter that did
// nothing without changing the body a Channex client reads.
func warnIgnored(w http.ResponseWriter, q keycard.ListQuery) {
	names := q.Ignored.Names()
	for i, name := range names {
		if i == maxWarnings {
			w.Header().Add("Warning", `299 keycard "ignored `+strconv.Itoa(len(names)-i)+` more parameters"`)
			return
		}
		w.Header().Add("Warning", `299 keycard "ignored parameter `+warnText(name)+`"`)
	}
}

// warnText makes s safe inside a header's quoted string: a backslash
// before each quote and backslash, and percent-escapes for bytes that are
// not printable ASCII. It keeps the first 200 bytes of s.
func warnText(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// listInMemory filters and orders items held in memory (a catalogue) as
// the store's lists do a table's rows: fields gives each field's text, a
// filter or order on any other name is recorded in q.Ignored, and items
// keep their order where q's order does not tell them apart.
func listInMemory[T any](q keycard.ListQuery, items []T, fields map[string]func(T) string) ([]T, error) {
	var keep []func(T) bool
	for _, f := range q.Filters {
		get, ok := fields[f.Field]
		if !ok {
			q.Ignored.Add(f.Param())
			continue
		}
		if f.Op != keycard.OpEq && f.Op != keycard.OpNot && len(f.Values) != 1 {
			return nil, keycard.Errorf(keycard.EBadRequest, "filter[%s][%s] takes one value", f.Field, f.Op)
		}
		keep = append(keep, func(it T) bool {
			v := get(it)
			switch f.Op {
			case keycard.OpEq:
				return slices.Contains(f.Values, v)
			case keycard.OpNot:
				return !slices.Contains(f.Values, v)
			}
			c := strings.Compare(v, f.Values[0])
			switch f.Op {
			case keycard.OpGt:
				return c > 0
			case keycard.OpGte:
				return c >= 0
			case keycard.OpLt:
				return c < 0
			}
			return c <= 0
		})
	}
	out := make([]T, 0, len(items))
next:
	for _, it := range items {
		for _, k := range keep {
			if !k(it) {
				continue next
			}
		}
		out = append(out, it)
	}
	var orders []func(a, b T) int
	for _, o := range q.Order {
		get, ok := fields[o.Field]
		if !ok {
			q.Ignored.Add(o.Param())
			continue
		}
		orders = append(orders, func(a, b T) int {
			if o.Desc {
				a, b = b, a
			}
			return strings.Compare(get(a), get(b))
		})
	}
	if len(orders) > 0 {
		slices.SortStableFunc(out, func(a, b T) int {
			for _, cmp := range orders {
				if c := cmp(a, b); c != 0 {
					return c
				}
			}
			return 0
		})
	}
	return out, nil
}
