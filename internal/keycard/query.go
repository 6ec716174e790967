package keycard

import "slices"

// Pagination defaults, as in Channex.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// MaxPage bounds page numbers, so that an offset never overflows.
	MaxPage = 1_000_000
)

// Filter operators.
const (
	OpEq  = "eq"
	OpNot = "not"
	OpGt  = "gt"
	OpGte = "gte"
	OpLt  = "lt"
	OpLte = "lte"
)

// Filter is one condition of a list query: filter[Field][Op]=Values. Several
// values (a comma list) mean any of them.
type Filter struct {
	Field  string
	Op     string
	Values []string
}

// Param returns the query parameter f came from: filter[Field] for eq,
// else filter[Field][Op].
func (f Filter) Param() string {
	if f.Op == OpEq {
		return "filter[" + f.Field + "]"
	}
	return "filter[" + f.Field + "][" + f.Op + "]"
}

// Order is one sort key of a list query: order[Field]=asc|desc.
type Order struct {
	Field string
	Desc  bool
}

// ListQuery is a parsed Channex list query.
type ListQuery struct {
	Page    int // from 1
	Limit   int // 1..MaxLimit
	Filters []Filter
	Order   []Order
	// Ignored, when set, collects the parameters the list does not know
	// (a filter or order naming no field of it): Channex ignores them, and
	// so does keycard, naming them back so that a developer can see a
	// filter that did nothing.
	Ignored *Ignored
}

// Param returns the query parameter o came from.
func (o Order) Param() string { return "order[" + o.Field + "]" }

// Ignored is the list of the parameters a list query ignored.
type Ignored struct{ names []string }

// Add records param, once. A nil Ignored records nothing.
func (g *Ignored) Add(param string) {
	if g != nil && !slices.Contains(g.names, param) {
		g.names = append(g.names, param)
	}
}

// Has reports whether param was ignored.
func (g *Ignored) Has(param string) bool { return g != nil && slices.Contains(g.names, param) }

// Names returns the parameters ignored, in the order they were met.
func (g *Ignored) Names() []string {
	if g == nil {
		return nil
	}
	return g.names
}

// Offset returns the number of items before the page.
func (q ListQuery) Offset() int { return (q.Page - 1) * q.Limit }

// Values returns the values of the first eq filter on field, or nil.
func (q ListQuery) Values(field string) []string {
	for _, f := range q.Filters {
		if f.Field == field && f.Op == OpEq {
			return f.Values
		}
	}
	return nil
}
