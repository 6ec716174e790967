package keycard

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
