package main

import (
	"fmt"
	"strings"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/keycard"
)

const permissionsHelp = "the key's permissions (`PERMS`): a preset, full, read_only, pms or rms, or family=level pairs such as " +
	"rates=write,bookings=read (families: properties, inventory, availability, restrictions (or rates), bookings, webhooks, " +
	"channels; levels: none, read, write; families not named get none)"

// parsePermissionsFlag reads --permissions: a preset's name, or a list of
// family=level pairs, sent as every family's level.
func parsePermissionsFlag(s string) (*client.Permissions, error) {
	if pr, ok := keycard.ParsePreset(s); ok {
		return client.Preset(pr.Name), nil
	}
	p, msg := keycard.ParsePermissionsArg(s)
	if msg != "" {
		return nil, fmt.Errorf("--permissions: %s", msg)
	}
	return client.Levels(p.Map()), nil
}

// describePermissions says what a key may do: its preset, and each
// family's level.
func describePermissions(k *client.APIKey) string {
	var parts []string
	for _, fi := range keycard.Families {
		if l := k.Permissions[fi.Name]; l != "" && l != client.LevelNone {
			parts = append(parts, fi.Name+": "+l)
		}
	}
	levels := strings.Join(parts, ", ")
	if levels == "" {
		levels = "nothing"
	}
	if k.PermissionsPreset != "" {
		return k.PermissionsPreset + " (" + levels + ")"
	}
	return "custom (" + levels + ")"
}
