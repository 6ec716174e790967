package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// Channex gives every relationship item, to-one and to-many, attributes
// with at least its id and its title, and clients read them: Channex's own
// JavaScript library reads attributes.id of every item of every list it
// gets, and fails on an item without. A resource builder sets them when
// they are at hand (a group's properties, a user's name); relate fills in
// the others.

// titleAttributes are the attributes of a relationship item named by its
// title. Title is null only when the related resource is gone (a race with
// its deletion). A builder that knows an item will want them gives it a
// *titleAttributes with its id (see titled), and relate sets its title in
// place: boxing new attributes into the item, and the item back into its
// relationships, cost the feed four allocations per revision.
type titleAttributes struct {
	ID    string  `json:"id"`
	Title *string `json:"title"`
	// title holds what Title points to, so that setting it allocates
	// nothing more.
	title string
}

func newTitleAttributes(id, title string, ok bool) *titleAttributes {
	a := &titleAttributes{ID: id}
	a.setTitle(title, ok)
	return a
}

func (a *titleAttributes) setTitle(title string, ok bool) {
	if ok {
		a.title = title
		a.Title = &a.title
	}
}

// titled is a relationship item of kind and id whose titleAttributes
// relate fills in.
func titled(kind, id string) ref {
	return ref{Type: kind, ID: id, Attributes: &titleAttributes{ID: id}}
}

// titleSetter is relationship attributes of more than an id and a title,
// whose title relate sets.
type titleSetter interface {
	setTitle(title string, ok bool)
}

// relate gives every relationship item of items that has no attributes its
// titleAttributes, and sets the title of those whose attributes are a
// titleSetter: a facility's from the catalogue, the others' from the store,
// in one query for the whole answer at most (see store.Titles).
func (s *Server) relate(r *http.Request, items ...resource) error {
	var want []store.Ref
	eachRef(items, func(rf ref) (ref, bool) {
		if _, setter := rf.Attributes.(titleSetter); (rf.Attributes == nil || setter) && rf.Type != "facility" {
			want = append(want, store.Ref{Kind: rf.Type, ID: rf.ID})
		}
		return rf, false
	})
	var titles map[store.Ref]string
	if len(want) > 0 {
		var err error
		if titles, err = s.store.Titles(r.Context(), principal(r), want); err != nil {
			return err
		}
	}
	eachRef(items, func(rf ref) (ref, bool) {
		switch a := rf.Attributes.(type) {
		case nil:
			title, ok := relationTitle(titles, rf.Type, rf.ID)
			rf.Attributes = newTitleAttributes(rf.ID, title, ok)
			return rf, true
		case titleSetter:
			a.setTitle(relationTitle(titles, rf.Type, rf.ID))
		}
		return rf, false
	})
	return nil
}

// relationTitle returns the title of the related resource of kind and id:
// from the catalogue for a facility, else from titles.
func relationTitle(titles map[store.Ref]string, kind, id string) (string, bool) {
	if kind == "facility" {
		return keycard.FacilityTitle(id)
	}
	title, ok := titles[store.Ref{Kind: kind, ID: id}]
	return title, ok
}

// writeRelated is writeData for a resource whose relationships relate
// completes.
func (s *Server) writeRelated(w http.ResponseWriter, r *http.Request, status int, res resource) error {
	if err := s.relate(r, res); err != nil {
		return err
	}
	return writeData(w, status, res)
}

// eachRef calls fn with every relationship item of items, and keeps the
// item fn returns when fn reports that it changed it. Items pass by value,
// in and out, so that none escapes to the heap on the way.
func eachRef(items []resource, fn func(ref) (ref, bool)) {
	for _, it := range items {
		for name, v := range it.Relationships {
			rel, ok := v.(relation)
			if !ok {
				continue
			}
			switch d := rel.Data.(type) {
			case ref:
				// A to-one item is held by value: it is stored back only
				// when fn changed it, as storing boxes it anew.
				if d, changed := fn(d); changed {
					it.Relationships[name] = relation{d}
				}
			case []ref:
				for i := range d {
					if rf, changed := fn(d[i]); changed {
						d[i] = rf
					}
				}
			}
		}
	}
}
