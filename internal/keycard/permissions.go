package keycard

import (
	"fmt"
	"sort"
	"strings"
)

// Family is a resource family: a set of routes that an API key's
// permissions grant or refuse together.
type Family int

// The resource families, in the order the API, the UI and the CLI show them.
const (
	FamilyProperties Family = iota
	FamilyInventory
	FamilyAvailability
	FamilyRestrictions
	FamilyBookings
	FamilyWebhooks
	FamilyChannels
	numFamilies
)

// FamilyInfo describes a family: its name in the API and what it covers.
type FamilyInfo struct {
	Family Family
	// Name is the family's name in the API, the CLI and storage.
	Name string
	// Label is its name on the Organisation page.
	Label string
	// Covers says, for people, which routes it governs.
	Covers string
}

// Families is the table of resource families. Every API route names one
// of them (or none, for routes that are not about a property's data: see
// package api), with whether it reads or writes.
//
// Keys store their levels by family name, so a family added here starts
// at none for every existing key, full ones included: adding one takes a
// migration that says what existing keys get in it.
var Families = [numFamilies]FamilyInfo{
	{FamilyProperties, "properties", "Properties", "properties and their set-up: groups, property and group users, hotel policies, cancellation policies, taxes and tax sets, facilities, photos, health"},
	{FamilyInventory, "inventory", "Room types and rate plans", "room types and rate plans"},
	{FamilyAvailability, "availability", "Availability", "availability (GET and POST /availability)"},
	{FamilyRestrictions, "restrictions", "Rates and restrictions", "rates and restrictions (GET and POST /restrictions)"},
	{FamilyBookings, "bookings", "Bookings", "bookings, booking revisions, the booking feed and its acknowledgement"},
	{FamilyWebhooks, "webhooks", "Webhooks", "webhooks, their test calls and delivery logs"},
	{FamilyChannels, "channels", "Channels", "channel connections, their events and availability rules"},
}

// familyAliases are other names the API and the CLI accept for a family.
var familyAliases = map[string]Family{"rates": FamilyRestrictions}

// String returns the family's API name.
func (f Family) String() string {
	if f < 0 || f >= numFamilies {
		return fmt.Sprintf("Family(%d)", int(f))
	}
	return Families[f].Name
}

// ParseFamily returns the family named name (or an alias of it, such as
// "rates" for restrictions).
func ParseFamily(name string) (Family, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, fi := range Families {
		if fi.Name == name {
			return fi.Family, true
		}
	}
	f, ok := familyAliases[name]
	return f, ok
}

// Level is how far a key may go in a family: nothing, reading, or reading
// and writing.
type Level uint8

// Levels, each including the ones before it.
const (
	LevelNone Level = iota
	LevelRead
	LevelWrite
)

var levelNames = [...]string{"none", "read", "write"}

// String returns the level's API name.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel returns the level named name.
func ParseLevel(name string) (Level, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for i, n := range levelNames {
		if n == name {
			return Level(i), true
		}
	}
	return LevelNone, false
}

// Permissions are an API key's level in each family. The zero value grants
// nothing. They only ever narrow what the key's user may do: a key never
// reaches a property its user does not, nor does what its user may not.
type Permissions [numFamilies]Level

// Level returns the level in f.
func (p Permissions) Level(f Family) Level { return p[f] }

// Writes reports whether p grants a write in any family.
func (p Permissions) Writes() bool {
	for _, l := range p {
		if l >= LevelWrite {
			return true
		}
	}
	return false
}

// Need is what a route asks of a key's permissions: a level in one of a
// set of families (usually one).
type Need struct {
	Families []Family
	Level    Level
}

// Needs returns the need of level in any of families.
func Needs(level Level, families ...Family) Need { return Need{Families: families, Level: level} }

// String names the need as a refusal does: "bookings: read".
func (n Need) String() string {
	names := make([]string, len(n.Families))
	for i, f := range n.Families {
		names[i] = f.String()
	}
	fams := strings.Join(names, ", ")
	if len(names) > 1 {
		fams = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return fams + ": " + n.Level.String()
}

// Allow returns nil when p meets n, or a forbidden Error naming the
// permission the key lacks ("bookings: read required").
func (p Permissions) Allow(n Need) error {
	for _, f := range n.Families {
		if p[f] >= n.Level {
			return nil
		}
	}
	return Errorf(EForbidden, "%s required: this API key's permissions do not grant it", n)
}

// String returns p in its stored form: "family=level" for each family it
// grants, in the table's order, joined by commas ("" grants nothing).
func (p Permissions) String() string {
	var parts []string
	for _, fi := range Families {
		if l := p[fi.Family]; l > LevelNone {
			parts = append(parts, fi.Name+"="+l.String())
		}
	}
	return strings.Join(parts, ",")
}

// Summary returns p for people: each granted family and its level.
func (p Permissions) Summary() string {
	if s := p.String(); s != "" {
		return strings.NewReplacer("=", ": ", ",", ", ").Replace(s)
	}
	return "No access"
}

// Map returns p as the API shows it: every family with its level.
func (p Permissions) Map() map[string]string {
	m := make(map[string]string, numFamilies)
	for _, fi := range Families {
		m[fi.Name] = p[fi.Family].String()
	}
	return m
}

// ParsePermissions reads p's stored form (see String), or a CLI list
// ("rates=write,bookings=read"): families not named get none; a family
// named twice gets its last level. It returns a validation message for an
// unknown family or level.
func ParsePermissions(s string) (Permissions, string) {
	var p Permissions
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		name, level, ok := strings.Cut(part, "=")
		if !ok {
			name, level, ok = strings.Cut(part, ":")
		}
		if !ok {
			return p, fmt.Sprintf("%q is not family=level (such as restrictions=write)", strings.TrimSpace(part))
		}
		f, ok := ParseFamily(name)
		if !ok {
			return p, unknownFamily(name)
		}
		l, ok := ParseLevel(level)
		if !ok {
			return p, unknownLevel(name, level)
		}
		p[f] = l
	}
	return p, ""
}

// PermissionsFromMap reads p from the API's object form: families not
// named get none. It returns a validation message for an unknown family or
// level.
func PermissionsFromMap(m map[string]string) (Permissions, string) {
	var p Permissions
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names) // the same message for the same input
	for _, name := range names {
		f, ok := ParseFamily(name)
		if !ok {
			return p, unknownFamily(name)
		}
		l, ok := ParseLevel(m[name])
		if !ok {
			return p, unknownLevel(name, m[name])
		}
		p[f] = l
	}
	return p, ""
}

func unknownFamily(name string) string {
	names := make([]string, len(Families))
	for i, fi := range Families {
		names[i] = fi.Name
	}
	return fmt.Sprintf("names an unknown family %q (families are %s)", strings.TrimSpace(name), strings.Join(names, ", "))
}

func unknownLevel(name, level string) string {
	return fmt.Sprintf("gives %s the unknown level %q (levels are none, read, write)", strings.TrimSpace(name), strings.TrimSpace(level))
}

// Preset is a named set of permissions.
type Preset struct {
	// Name is the preset's name in the API and the CLI.
	Name string
	// Label is its name on the Organisation page.
	Label       string
	Permissions Permissions
}

// Presets of permissions. Full is every key's default, and what keys made
// before permissions existed became.
var (
	PresetFull     = Preset{"full", "Full access", all(LevelWrite)}
	PresetReadOnly = Preset{"read_only", "Read only", all(LevelRead)}
	// PresetPMS is for a property management system: it sets properties
	// up, keeps ARI and bookings, and registers webhooks; it does not
	// connect or disconnect channels, which it may only see.
	PresetPMS = Preset{"pms", "PMS", Permissions{
		FamilyProperties: LevelWrite, FamilyInventory: LevelWrite, FamilyAvailability: LevelWrite,
		FamilyRestrictions: LevelWrite, FamilyBookings: LevelWrite, FamilyWebhooks: LevelWrite, FamilyChannels: LevelRead}}
	// PresetRMS is for a revenue management system: it writes rates and
	// restrictions, and reads what it prices from (properties, room types
	// and rate plans, availability, bookings); nothing else.
	PresetRMS = Preset{"rms", "RMS", Permissions{
		FamilyProperties: LevelRead, FamilyInventory: LevelRead, FamilyAvailability: LevelRead,
		FamilyRestrictions: LevelWrite, FamilyBookings: LevelRead}}
)

// Presets lists the presets in the order the UI offers them.
var Presets = []Preset{PresetFull, PresetReadOnly, PresetPMS, PresetRMS}

func all(l Level) Permissions {
	var p Permissions
	for i := range p {
		p[i] = l
	}
	return p
}

// ParsePreset returns the preset named name ("read-only" and "readonly"
// are taken for "read_only").
func ParsePreset(name string) (Preset, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "read-only", "readonly":
		name = PresetReadOnly.Name
	}
	for _, pr := range Presets {
		if pr.Name == name {
			return pr, true
		}
	}
	return Preset{}, false
}

// Preset returns the preset p equals, if any.
func (p Permissions) Preset() (Preset, bool) {
	for _, pr := range Presets {
		if pr.Permissions == p {
			return pr, true
		}
	}
	return Preset{}, false
}

// ParsePermissionsArg reads a preset name or a family=level list, as the
// CLI and the UI send them.
func ParsePermissionsArg(s string) (Permissions, string) {
	if pr, ok := ParsePreset(s); ok {
		return pr.Permissions, ""
	}
	if !strings.ContainsAny(s, "=:") {
		return Permissions{}, fmt.Sprintf("%q is neither a preset (full, read_only, pms, rms) nor a list such as restrictions=write,bookings=read", strings.TrimSpace(s))
	}
	return ParsePermissions(s)
}

// StoredPermissions reads p's stored form, skipping any entry this server
// does not know (written by a newer one): a family it cannot name is one
// it grants nothing in, which only narrows.
func StoredPermissions(s string) Permissions {
	var p Permissions
	for part := range strings.SplitSeq(s, ",") {
		name, level, _ := strings.Cut(part, "=")
		f, ok1 := ParseFamily(name)
		l, ok2 := ParseLevel(level)
		if ok1 && ok2 {
			p[f] = l
		}
	}
	return p
}
