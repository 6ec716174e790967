package web

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// propertiesPerPage is the length of a page of the property list.
const propertiesPerPage = 50

// propertiesView is the content of the Properties page.
type propertiesView struct {
	Properties []*keycard.Property
	Total      int
	Pager      pager
}

// propertiesPage lists the properties the user reaches: what a key for all
// properties covers, and what a restricted key may be given.
func (s *Server) propertiesPage(w http.ResponseWriter, r *http.Request) error {
	n := pageNumber(r)
	props, total, err := s.store.ListProperties(r.Context(), keycard.PrincipalFrom(r.Context()),
		keycard.ListQuery{Page: n, Limit: propertiesPerPage})
	if err != nil {
		return err
	}
	v := propertiesView{Properties: props, Total: total, Pager: newPager(pathProperties, n, total, propertiesPerPage)}
	return s.render(w, r, http.StatusOK, "properties", page{Title: "Properties", Nav: "properties", Data: v})
}
