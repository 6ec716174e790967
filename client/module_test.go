package client

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// modFile is what TestModule reads of a go.mod file.
type modFile struct {
	module, goVersion string
	requires          []string // module paths
}

// readMod reads a go.mod file's module path, go version and required
// modules. It knows the directives go.mod files have, single-line and in
// blocks; it is no general parser.
func readMod(t *testing.T, path string) modFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m modFile
	block := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case block != "" && fields[0] == ")":
			block = ""
		case block == "require":
			m.requires = append(m.requires, fields[0])
		case block != "":
		case len(fields) == 2 && fields[1] == "(":
			block = fields[0]
		case fields[0] == "module" && len(fields) == 2:
			m.module = fields[1]
		case fields[0] == "go" && len(fields) == 2:
			m.goVersion = fields[1]
		case fields[0] == "require" && len(fields) >= 2:
			m.requires = append(m.requires, fields[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestModule checks that the client is a module of its own that requires
// nothing: a program that imports it gets none of the server's
// dependencies (database drivers, Redis, Prometheus) in its go.sum. In the
// repository, it also checks that the client asks for the server's Go
// version.
func TestModule(t *testing.T) {
	m := readMod(t, "go.mod")
	if m.module != "github.com/keycard/keycard/client" {
		t.Errorf("module path: got %q, want github.com/keycard/keycard/client", m.module)
	}
	if len(m.requires) > 0 {
		t.Errorf("go.mod requires %v, want nothing: the client is the standard library only", m.requires)
	}
	server := readModIfServer(t, "../go.mod")
	if server == nil {
		return // out of the repository: a copy in the module cache
	}
	if m.goVersion != server.goVersion {
		t.Errorf("go version: got %s, want the server's %s", m.goVersion, server.goVersion)
	}
}

func readModIfServer(t *testing.T, path string) *modFile {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	m := readMod(t, path)
	if m.module != "github.com/keycard/keycard" {
		return nil
	}
	return &m
}

// TestReadMod checks readMod on the forms go.mod files take.
func TestReadMod(t *testing.T) {
	path := t.TempDir() + "/go.mod"
	src := "module example.com/m // a comment\n\ngo 1.26.8\n\nrequire example.com/a v1.0.0\n\nrequire (\n\texample.com/b v1.2.0\n\texample.com/c v0.1.0 // indirect\n)\n\nreplace (\n\texample.com/d => ./d\n)\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	m := readMod(t, path)
	if m.module != "example.com/m" || m.goVersion != "1.26.8" || strings.Join(m.requires, " ") != "example.com/a example.com/b example.com/c" {
		t.Errorf("readMod: got %+v, want example.com/m, 1.26.8, requiring a, b and c", m)
	}
}
