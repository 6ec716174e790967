package client

import "encoding/json"

// Permission presets, by name.
const (
	PresetFull     = "full"
	PresetReadOnly = "read_only"
	PresetPMS      = "pms"
	PresetRMS      = "rms"
)

// Levels of a permission.
const (
	LevelNone  = "none"
	LevelRead  = "read"
	LevelWrite = "write"
)

// Permissions are an API key's permissions to send: a preset's name, or a
// level per resource family (properties, inventory, availability,
// restrictions, bookings, webhooks, channels), in which families not
// named get none.
type Permissions struct {
	Preset string
	Levels map[string]string
}

// Preset returns the permissions of the preset name (see PresetRMS).
func Preset(name string) *Permissions { return &Permissions{Preset: name} }

// Levels returns permissions of the given level per family.
func Levels(levels map[string]string) *Permissions { return &Permissions{Levels: levels} }

// MarshalJSON sends the preset's name, or the object of levels.
func (p Permissions) MarshalJSON() ([]byte, error) {
	if p.Preset != "" {
		return json.Marshal(p.Preset)
	}
	if p.Levels == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(p.Levels)
}
