package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// parseListQuery reads Channex list parameters from a raw query string:
// pagination[page], pagination[limit], filter[f]=a,b, filter[f][op]=v and
// order[f]=asc|desc. Brackets may come raw or percent-encoded, empty
// pairs ("?&&") are skipped, and order keys keep the order they came in.
func parseListQuery(rawQuery string) (keycard.ListQuery, error) {
	q := keycard.ListQuery{Page: 1, Limit: keycard.DefaultLimit}
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
			case path[0] == "limit":
				if err != nil || n < 1 {
					return bad("pagination[limit] must be a whole number from 1 to %d", keycard.MaxLimit)
				}
				q.Limit = min(n, keycard.MaxLimit)
			default:
				return bad("query parameter %q is not supported", key)
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
