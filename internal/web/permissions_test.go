package web

import (
	"net/url"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
)

// TestFormPermissions reads the form as a browser without the script
// sends it: the preset chosen wins over the grid; Custom takes the grid.
func TestFormPermissions(t *testing.T) {
	grid := url.Values{"perm_restrictions": {"write"}, "perm_bookings": {"read"}, "perm_webhooks": {"none"}}
	with := func(choice string) url.Values {
		v := url.Values{"permissions": {choice}}
		for k, l := range grid {
			v[k] = l
		}
		return v
	}
	custom := keycard.Permissions{keycard.FamilyRestrictions: keycard.LevelWrite, keycard.FamilyBookings: keycard.LevelRead}
	for _, tt := range []struct {
		name    string
		form    url.Values
		want    *keycard.Permissions
		wantErr bool
	}{
		{"no choice", url.Values{}, nil, false},
		{"a preset wins over the grid", with("pms"), &keycard.PresetPMS.Permissions, false},
		{"custom takes the grid", with("custom"), &custom, false},
		{"an unknown preset", with("admin"), nil, true},
		{"a bad level", url.Values{"permissions": {"custom"}, "perm_bookings": {"all"}}, nil, true},
	} {
		fe := keycard.FieldErrors{}
		got, _ := formPermissions(tt.form, fe)
		if tt.wantErr {
			if len(fe["permissions"]) == 0 {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if len(fe) > 0 || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("%s: got %v %v, want %v", tt.name, got, fe, tt.want)
		}
	}
}
