// Package keycard_test checks the files at the root of the repository
// that a self-hoster reads: the licence, the changelog, the security
// policy.
package keycard_test

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestLicense checks that LICENSE is the Apache License 2.0, whole, and
// that the OpenAPI document says so.
func TestLicense(t *testing.T) {
	b, err := os.ReadFile("LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"Apache License\n                           Version 2.0, January 2004",
		"TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "9. Accepting Warranty or Additional Liability.",
		"END OF TERMS AND CONDITIONS", "APPENDIX: How to apply the Apache License to your work."} {
		if !strings.Contains(text, want) {
			t.Errorf("LICENSE lacks %q: not the whole Apache License 2.0", want)
		}
	}
	b, err = os.ReadFile("internal/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info struct {
			License struct {
				Name       string `yaml:"name"`
				Identifier string `yaml:"identifier"`
			} `yaml:"license"`
		} `yaml:"info"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if l := doc.Info.License; l.Identifier != "Apache-2.0" || l.Name == "" {
		t.Errorf("OpenAPI info.license: got %+v, want a name and the identifier Apache-2.0", l)
	}
}

// TestSelfHosterFiles checks that the changelog and the security policy
// have the parts a reader looks for.
func TestSelfHosterFiles(t *testing.T) {
	for file, wants := range map[string][]string{
		"CHANGELOG.md": {"\n## Unreleased\n"},
		"SECURITY.md": {"## Reporting a vulnerability", "security@keycard.example", "placeholder", "## In scope",
			"Key handling", "Scope and tenant isolation", "Webhooks", "Authentication", "## Out of scope", "## Supported versions"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
}
