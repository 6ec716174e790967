package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/tokens"
)

// gitRepo runs git commands in dir, as a test author and committer.
func gitRepo(t *testing.T, dir string) func(args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not on the PATH; keycard key scan --git needs it")
	}
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
}

// TestKeyScanGit commits a key and deletes it in the next commit: the
// working tree is clean, the history is not. keycard key scan --git finds
// it at the commit that added it, and --report withdraws it.
func TestKeyScanGit(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(dir, "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0",
		"KEYCARD_CONFIG_DIR": filepath.Join(dir, "config")})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	var out bytes.Buffer
	if err := runIO(context.Background(), []string{"login", "--server", base}, getenv, strings.NewReader("o@hotel.example\npassword1\n"), &out); err != nil {
		t.Fatalf("login: %v", err)
	}
	text, err := cli(t, getenv, "key", "create", "--name", "PMS", "--all", "--json")
	var k client.APIKey
	if err != nil || json.Unmarshal([]byte(text), &k) != nil {
		t.Fatalf("key create: %v", err)
	}

	repo := filepath.Join(dir, "repo")
	if err := os.Mkdir(repo, 0o700); err != nil {
		t.Fatal(err)
	}
	git := gitRepo(t, repo)
	git("init", "-q")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("README", "hotel sync\n")
	lookalike := "kc_" + strings.Repeat("Q", 46) // the format, not the checksum
	write("notes.txt", "not a key: "+lookalike+"\n")
	git("add", ".")
	git("commit", "-q", "-m", "start")
	write("config.yml", "server: "+base+"\napi_key: "+k.Key+"\n")
	git("add", "config.yml")
	git("commit", "-q", "-m", "add config")
	added := git("rev-parse", "HEAD")
	git("rm", "-q", "config.yml")
	git("commit", "-q", "-m", "remove the key")

	// The files of the working tree hold no key.
	text, err = cli(t, getenv, "key", "scan", repo)
	if err != nil || !strings.Contains(text, "no keycard API key found") {
		t.Errorf("scan of the working tree: %v\n%s", err, text)
	}
	// The history does.
	hint := tokens.Hint(k.Key)
	text, err = cli(t, getenv, "key", "scan", "--git", repo)
	if err == nil || err.Error() != "1 keycard API key found" {
		t.Errorf("scan --git: err = %v, want 1 key found", err)
	}
	if want := repo + "@" + added[:12] + ":config.yml:2: " + hint; !strings.Contains(text, want) {
		t.Errorf("scan --git does not say %q:\n%s", want, strings.ReplaceAll(text, k.Key, "[KEY]"))
	}
	if strings.Contains(text, k.Key) || strings.Contains(text, lookalike) {
		t.Errorf("scan printed a whole key, or the look-alike")
	}
	if use, _ := call(t, "GET", base+"/api/v1/properties/", map[string]string{"user-api-key": k.Key}, ""); use != 200 {
		t.Fatalf("the key before --report: %d", use)
	}

	text, _ = cli(t, getenv, "key", "scan", "--git", "--report", repo)
	if !strings.Contains(text, "reported "+hint) || !strings.Contains(text, "withdrawn") || strings.Contains(text, k.Key) {
		t.Errorf("scan --report:\n%s", strings.ReplaceAll(text, k.Key, "[KEY]"))
	}
	if use, _ := call(t, "GET", base+"/api/v1/properties/", map[string]string{"user-api-key": k.Key}, ""); use != 401 {
		t.Errorf("the key after --report: %d, want 401", use)
	}
	text, err = cli(t, getenv, "key", "show", k.ID, "--json")
	var shown map[string]any
	if err != nil || json.Unmarshal([]byte(text), &shown) != nil {
		t.Fatalf("key show: %v", err)
	}
	if !strings.Contains(text, `"withdrawn"`) {
		t.Errorf("key after --report: %s", text)
	}

	// A plain file outside any repository: found, with its line.
	loose := filepath.Join(dir, "loose.env")
	if err := os.WriteFile(loose, []byte("A=1\nB=2\nKEYCARD_KEY="+k.Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text, err = cli(t, getenv, "key", "scan", loose)
	if err == nil || !strings.Contains(text, loose+":3: "+hint) {
		t.Errorf("scan of a file: %v\n%s", err, strings.ReplaceAll(text, k.Key, "[KEY]"))
	}
}
