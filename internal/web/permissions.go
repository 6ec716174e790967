package web

import (
	"net/url"

	"github.com/keycard/keycard/internal/keycard"
)

// presetCustom is the form's choice of no preset: the grid's levels.
const presetCustom = "custom"

// permRow is one family of the form's permission grid.
type permRow struct {
	keycard.FamilyInfo
	Level  string
	Levels []string
}

// PermRows returns the grid of the form's permissions, a row a family.
func (f *keyForm) PermRows() []permRow {
	rows := make([]permRow, 0, len(keycard.Families))
	for _, fi := range keycard.Families {
		rows = append(rows, permRow{FamilyInfo: fi, Level: f.Perms.Level(fi.Family).String(), Levels: []string{"none", "read", "write"}})
	}
	return rows
}

// Presets returns the presets the form offers.
func (f *keyForm) Presets() []keycard.Preset { return keycard.Presets }

// setPerms shows p in the form: its preset if it equals one, else the grid.
func (f *keyForm) setPerms(p keycard.Permissions) {
	f.Perms, f.Preset = p, presetCustom
	if pr, ok := p.Preset(); ok {
		f.Preset = pr.Name
	}
}

// formPermissions reads the form's permissions: the chosen preset, or,
// for "custom", the grid's level in each family (a family not sent is
// none). Nil when the form sent no choice. The second result is what to
// show again if the form is shown with errors.
func formPermissions(form url.Values, fe keycard.FieldErrors) (*keycard.Permissions, string) {
	choice := form.Get("permissions")
	switch choice {
	case "":
		return nil, ""
	case presetCustom:
		var p keycard.Permissions
		for _, fi := range keycard.Families {
			v := form.Get("perm_" + fi.Name)
			if v == "" {
				continue
			}
			l, ok := keycard.ParseLevel(v)
			if !ok {
				fe.Add("permissions", "for "+fi.Label+" must be none, read or write")
				continue
			}
			p[fi.Family] = l
		}
		return &p, choice
	}
	pr, ok := keycard.ParsePreset(choice)
	if !ok {
		fe.Add("permissions", "must be one of the presets or custom")
		return nil, choice
	}
	return &pr.Permissions, pr.Name
}

// permTag is the short summary a key's row shows of its permissions:
// nothing for full access (the default), else the preset's name or
// "custom", with every family's level in its title.
func permTag(p keycard.Permissions) (text, title string) {
	pr, ok := p.Preset()
	switch {
	case ok && pr.Name == keycard.PresetFull.Name:
		return "", ""
	case ok && pr.Name == keycard.PresetReadOnly.Name:
		return "read-only", "Read only: reads every family, writes none"
	case ok:
		return pr.Label, pr.Label + " permissions: " + p.Summary()
	}
	return "custom", "Permissions: " + p.Summary()
}

// permWords names permissions in the activity log, from their audit form
// (a preset's name or a family=level list).
func permWords(v any) string {
	s, _ := v.(string)
	if pr, ok := keycard.ParsePreset(s); ok {
		if pr.Name == keycard.PresetReadOnly.Name {
			return "read-only"
		}
		return pr.Label
	}
	p := keycard.StoredPermissions(s)
	return p.Summary()
}

// showPerms shows again what a form that failed sent: its permissions
// (or Read only for a form of before permissions that ticked read_only),
// keeping what is shown when it sent none.
func (f *keyForm) showPerms(p *keycard.Permissions, choice string, readOnly bool) {
	switch {
	case p != nil:
		f.Perms, f.Preset = *p, choice
	case readOnly:
		f.setPerms(keycard.PresetReadOnly.Permissions)
	case choice != "":
		f.Preset = choice
	case f.Preset == "":
		f.setPerms(keycard.PresetFull.Permissions)
	}
}
