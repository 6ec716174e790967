// Package deploy tests the files a self-hoster installs: the systemd unit
// and its environment file.
package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// unit reads a systemd unit file: section -> key -> values, in order (a
// key may be given more than once).
func unit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnitHardening checks that the unit confines keycard: its own user,
// a read-only system but for its state directory, no privileges or
// capabilities, only the address families and system calls a network
// service needs.
func TestUnitHardening(t *testing.T) {
	svc := unit(t, "keycard.service")["Service"]
	for key, want := range map[string]string{
		"User":                    "keycard",
		"Group":                   "keycard",
		"EnvironmentFile":         "/etc/keycard/keycard.env",
		"ExecStart":               "/usr/local/bin/keycard serve",
		"StateDirectory":          "keycard",
		"ProtectSystem":           "strict",
		"ReadWritePaths":          "/var/lib/keycard",
		"NoNewPrivileges":         "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectHome":             "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"UMask":                   "0077",
	} {
		got, ok := svc[key]
		if !ok || len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
	if got := svc["SystemCallFilter"]; !slices.Equal(got, []string{"@system-service", "~@privileged"}) {
		t.Errorf("SystemCallFilter: got %q, want @system-service, then ~@privileged", got)
	}
	for _, key := range []string{"DynamicUser", "PermissionsStartOnly"} {
		if _, ok := svc[key]; ok {
			t.Errorf("%s is set: the service runs as its own user, keycard", key)
		}
	}
}

// TestUnitVerifies runs systemd-analyze verify on the unit, when the
// machine has it, with a program that exists in place of keycard (verify
// refuses a missing ExecStart).
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze")
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true")
	}
	b, err := os.ReadFile("keycard.service")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keycard.service")
	text := strings.Replace(string(b), "ExecStart=/usr/local/bin/keycard ", "ExecStart="+truePath+" ", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestEnvExample checks that keycard.env.example names only settings the
// README's flag table has, and sets the ones the unit relies on.
func TestEnvExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `--[a-z-]+` \\| `(KEYCARD_[A-Z_]+)` \\|").FindAllSubmatch(readme, -1) {
		known[string(m[1])] = true
	}
	if len(known) < 10 {
		t.Fatalf("found %d settings in the README's flag table: is it still a table of | `--flag` | `KEYCARD_...` |?", len(known))
	}
	b, err := os.ReadFile("keycard.env.example")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#?(KEYCARD_[A-Z_]+)=(.*)$`).FindAllStringSubmatch(string(b), -1) {
		if !known[m[1]] {
			t.Errorf("%s is not a setting of the README's flag table", m[1])
		}
		if !strings.HasPrefix(m[0], "#") {
			set[m[1]] = m[2]
		}
	}
	for key, want := range map[string]string{"KEYCARD_DB": "/var/lib/keycard/keycard.db", "KEYCARD_MODE": "production",
		"KEYCARD_WEBHOOK_KEY_FILE": "/var/lib/keycard/keycard-webhooks.key"} {
		if set[key] != want {
			t.Errorf("%s: got %q, want %q (the unit may write only in /var/lib/keycard)", key, set[key], want)
		}
	}
}
