package keycard

import (
	"strings"
	"testing"
)

func TestPermissionsAllow(t *testing.T) {
	tests := []struct {
		name    string
		perms   Permissions
		need    Need
		wantErr string
	}{
		{"rms writes restrictions", PresetRMS.Permissions, Needs(LevelWrite, FamilyRestrictions), ""},
		{"rms reads bookings", PresetRMS.Permissions, Needs(LevelRead, FamilyBookings), ""},
		{"rms cannot write room types", PresetRMS.Permissions, Needs(LevelWrite, FamilyInventory), "inventory: write required"},
		{"rms cannot read webhooks", PresetRMS.Permissions, Needs(LevelRead, FamilyWebhooks), "webhooks: read required"},
		{"read only cannot write", PresetReadOnly.Permissions, Needs(LevelWrite, FamilyBookings), "bookings: write required"},
		{"full writes channels", PresetFull.Permissions, Needs(LevelWrite, FamilyChannels), ""},
		{"pms reads channels only", PresetPMS.Permissions, Needs(LevelWrite, FamilyChannels), "channels: write required"},
		{"any of several", Permissions{FamilyBookings: LevelRead}, Needs(LevelRead, FamilyAvailability, FamilyRestrictions, FamilyBookings), ""},
		{"none of several", Permissions{}, Needs(LevelRead, FamilyAvailability, FamilyRestrictions, FamilyBookings), "availability, restrictions or bookings: read required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.perms.Allow(tt.need)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			case tt.wantErr != "" && ErrorCode(err) != EForbidden:
				t.Fatalf("got code %s, want %s", ErrorCode(err), EForbidden)
			}
		})
	}
}

func TestParsePermissions(t *testing.T) {
	tests := []struct {
		in      string
		want    Permissions
		wantMsg string
	}{
		{"", Permissions{}, ""},
		{"rates=write,bookings=read", Permissions{FamilyRestrictions: LevelWrite, FamilyBookings: LevelRead}, ""},
		{" Restrictions:WRITE , bookings=read ", Permissions{FamilyRestrictions: LevelWrite, FamilyBookings: LevelRead}, ""},
		{"rooms=write", Permissions{}, `unknown family "rooms"`},
		{"bookings=admin", Permissions{}, `unknown level "admin"`},
		{"bookings", Permissions{}, "is not family=level"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := ParsePermissions(tt.in)
			if tt.wantMsg != "" {
				if !strings.Contains(msg, tt.wantMsg) {
					t.Fatalf("got message %q, want one with %q", msg, tt.wantMsg)
				}
				return
			}
			if msg != "" || got != tt.want {
				t.Fatalf("got %v %q, want %v", got, msg, tt.want)
			}
		})
	}
}

// TestPermissionsRoundTrip holds the stored form to the parser, for every
// preset.
func TestPermissionsRoundTrip(t *testing.T) {
	for _, pr := range Presets {
		got, msg := ParsePermissions(pr.Permissions.String())
		if msg != "" || got != pr.Permissions {
			t.Errorf("%s: got %v %q, want %v", pr.Name, got, msg, pr.Permissions)
		}
		if p, ok := got.Preset(); !ok || p.Name != pr.Name {
			t.Errorf("%s: Preset() = %q %v", pr.Name, p.Name, ok)
		}
		m, msg := PermissionsFromMap(pr.Permissions.Map())
		if msg != "" || m != pr.Permissions {
			t.Errorf("%s: from map got %v %q", pr.Name, m, msg)
		}
	}
}

func TestPresetsDiffer(t *testing.T) {
	seen := map[Permissions]string{}
	for _, pr := range Presets {
		if other, ok := seen[pr.Permissions]; ok {
			t.Errorf("presets %s and %s grant the same", pr.Name, other)
		}
		seen[pr.Permissions] = pr.Name
	}
	if PresetReadOnly.Permissions.Writes() || !PresetRMS.Permissions.Writes() {
		t.Error("Writes() is wrong for read_only or rms")
	}
}

func TestParsePermissionsArg(t *testing.T) {
	if p, msg := ParsePermissionsArg("RMS"); msg != "" || p != PresetRMS.Permissions {
		t.Errorf("rms: got %v %q", p, msg)
	}
	if p, msg := ParsePermissionsArg("read-only"); msg != "" || p != PresetReadOnly.Permissions {
		t.Errorf("read-only: got %v %q", p, msg)
	}
	if _, msg := ParsePermissionsArg("admin"); !strings.Contains(msg, "neither a preset") {
		t.Errorf("admin: got %q", msg)
	}
}

func TestStoredPermissionsSkipsUnknown(t *testing.T) {
	got := StoredPermissions("properties=read,telepathy=write,bookings=write,restrictions=admin")
	want := Permissions{FamilyProperties: LevelRead, FamilyBookings: LevelWrite}
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestPrincipalAllow: a session is never narrowed; a key that writes
// nothing is told so when it writes, and told the family when it reads.
func TestPrincipalAllow(t *testing.T) {
	session := &Principal{UserID: "u"}
	if err := session.Allow(Needs(LevelWrite, FamilyChannels)); err != nil {
		t.Errorf("session: %v", err)
	}
	reader := &Principal{UserID: "u", APIKeyID: "k", Permissions: Permissions{FamilyBookings: LevelRead}}
	if err := reader.Allow(Needs(LevelWrite, FamilyBookings)); err == nil || !strings.Contains(err.Error(), "bookings: write required: this API key is read-only") {
		t.Errorf("write with a reading key: %v", err)
	}
	if err := reader.Allow(Needs(LevelRead, FamilyWebhooks)); err == nil || strings.Contains(err.Error(), "read-only") ||
		!strings.Contains(err.Error(), "webhooks: read required") {
		t.Errorf("read of an ungranted family: %v", err)
	}
}
