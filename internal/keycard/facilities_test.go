package keycard

import "testing"

// TestFacilityCatalogue checks the embedded catalogue: every entry valid
// and unique, the ids fixed (clients keep them), and a bad file refused.
func TestFacilityCatalogue(t *testing.T) {
	for kind, min := range map[string]int{PropertyFacility: 100, RoomFacility: 80} {
		if n := len(FacilityCatalogue(kind)); n < min {
			t.Errorf("%s facilities: got %d, want at least %d", kind, n, min)
		}
	}
	for _, c := range []struct{ kind, id, title string }{
		{PropertyFacility, "570073f4-e156-437e-a7d6-5ecf41737249", "Free WiFi"},
		{PropertyFacility, "6157f405-5b6d-4cf0-8572-c9e34cc6c80e", "Free parking"},
		{RoomFacility, "3277d515-1f7b-476e-9e89-13042313e658", "Balcony"},
		{RoomFacility, "0b2e62c4-3f0a-4b8f-9b7a-1d2e3f4a5b6c", "Desk"},
	} {
		found := ""
		for _, f := range FacilityCatalogue(c.kind) {
			if f.ID == c.id {
				found = f.Title
			}
		}
		if found != c.title {
			t.Errorf("%s facility %s: got title %q, want %q (ids must never change)", c.kind, c.id, found, c.title)
		}
	}
	if KnownFacility(RoomFacility, "570073f4-e156-437e-a7d6-5ecf41737249") {
		t.Errorf("a property facility is known as a room facility")
	}
	for _, bad := range []string{
		`{"property":[{"id":"570073f4-e156-437e-a7d6-5ecf41737249","category":"A","title":"x"},{"id":"570073f4-e156-437e-a7d6-5ecf41737249","category":"A","title":"y"}]}`,
		`{"property":[{"id":"wifi","category":"A","title":"x"}]}`,
		`{"property":[{"id":"570073f4-e156-437e-a7d6-5ecf41737249","category":"","title":"x"}]}`,
		`[]`,
	} {
		if _, err := parseFacilities([]byte(bad)); err == nil {
			t.Errorf("parseFacilities(%s): got no error", bad)
		}
	}
}

func TestFacilitiesMessage(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want bool
	}{
		{nil, true},
		{[]string{"570073f4-e156-437e-a7d6-5ecf41737249", "6157f405-5b6d-4cf0-8572-c9e34cc6c80e"}, true},
		{[]string{"3277d515-1f7b-476e-9e89-13042313e658"}, false},
		{[]string{"570073f4-e156-437e-a7d6-5ecf41737249", "570073f4-e156-437e-a7d6-5ecf41737249"}, false},
		{[]string{"00000000-0000-4000-8000-000000000000"}, false},
	} {
		if got := facilitiesMessage(PropertyFacility, c.ids) == ""; got != c.want {
			t.Errorf("facilitiesMessage(%v) ok = %v, want %v", c.ids, got, c.want)
		}
	}
}
