package keycard

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// Facility is one entry of the facilities catalogue: something a property
// or a room type may offer. Its id is fixed: the same on every server.
type Facility struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Title    string `json:"title"`
}

// Facility kinds.
const (
	PropertyFacility = "property"
	RoomFacility     = "room"
)

//go:embed facilities.json
var facilitiesJSON []byte

// Facilities is the read-only catalogue shipped with the binary.
type Facilities struct {
	lists  map[string][]Facility
	ids    map[string]map[string]bool
	titles map[string]string // by id, of every kind
}

// catalogue is parsed once from the embedded file and never changed.
var catalogue = mustParseFacilities(facilitiesJSON)

func mustParseFacilities(b []byte) *Facilities {
	c, err := parseFacilities(b)
	if err != nil {
		panic(err)
	}
	return c
}

func parseFacilities(b []byte) (*Facilities, error) {
	var lists map[string][]Facility
	if err := json.Unmarshal(b, &lists); err != nil {
		return nil, fmt.Errorf("keycard: facilities catalogue: %w", err)
	}
	c := &Facilities{lists: lists, ids: map[string]map[string]bool{}, titles: map[string]string{}}
	seen := map[string]bool{}
	for kind, list := range lists {
		c.ids[kind] = map[string]bool{}
		for _, f := range list {
			if !ValidID(f.ID) || seen[f.ID] || f.Title == "" || f.Category == "" {
				return nil, fmt.Errorf("keycard: facilities catalogue: bad or repeated entry %+v", f)
			}
			seen[f.ID] = true
			c.ids[kind][f.ID] = true
			c.titles[f.ID] = f.Title
		}
	}
	return c, nil
}

// FacilityCatalogue returns the facilities of a kind (PropertyFacility or
// RoomFacility), in catalogue order. The slice must not be changed.
func FacilityCatalogue(kind string) []Facility { return catalogue.lists[kind] }

// KnownFacility reports whether id is in the catalogue of kind.
func KnownFacility(kind, id string) bool { return catalogue.ids[kind][id] }

// FacilityTitle returns the title of the facility id, of either kind, and
// whether the catalogue has it.
func FacilityTitle(id string) (string, bool) {
	title, ok := catalogue.titles[id]
	return title, ok
}

// facilitiesMessage returns what is wrong with a list of facility ids of
// a kind, or "".
func facilitiesMessage(kind string, ids []string) string {
	seen := map[string]bool{}
	for _, id := range ids {
		if !ValidID(id) {
			return "must be a list of UUIDs"
		}
		if !KnownFacility(kind, id) {
			return "includes an id that is not a " + kind + " facility (see /api/v1/" + kind + "_facilities/options)"
		}
		if seen[id] {
			return "lists a facility more than once"
		}
		seen[id] = true
	}
	return ""
}
