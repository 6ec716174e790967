// Package scripts tests the shell scripts beside it.
package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMachine returns a PATH on which PostgreSQL and Redis are neither
// installed nor running, and apt-get records its calls in the returned
// log (and fails to install anything), with the few tools the script
// uses besides.
func fakeMachine(t *testing.T) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "apt-get.log")
	aptGet := "#!/bin/sh\necho \"apt-get $*\" >> " + log + "\n[ \"$1\" = update ]\n"
	if err := os.WriteFile(filepath.Join(dir, "apt-get"), []byte(aptGet), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"env", "ls", "sort", "tail", "seq", "sleep"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s on this machine", tool)
		}
		if err := os.Symlink(real, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

func runServices(t *testing.T, path string, env ...string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command(bash, "services.sh")
	cmd.Env = append([]string{"PATH=" + path, "HOME=" + t.TempDir()}, env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	return stderr.String(), err
}

// TestServicesCheck runs services.sh with KEYCARD_SERVICES=check on a
// machine without PostgreSQL and Redis: it says what it would install,
// changes nothing, and fails.
func TestServicesCheck(t *testing.T) {
	path, log := fakeMachine(t)
	out, err := runServices(t, path, "KEYCARD_SERVICES=check")
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit: got %v, want status 1; output:\n%s", err, out)
	}
	for _, want := range []string{
		"services: would install postgresql: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql\n",
		"services: would install redis-server: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server\n",
		"services: something is missing",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; got:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(log); err == nil {
		t.Errorf("check mode ran apt-get:\n%s", b)
	}
}

// TestServicesAnnounces runs services.sh on the same machine, where the
// install fails: each change is printed before it is made, and the
// failure stops the script.
func TestServicesAnnounces(t *testing.T) {
	path, log := fakeMachine(t)
	out, err := runServices(t, path)
	if err == nil {
		t.Errorf("exit: got success, want a failure; output:\n%s", out)
	}
	want := "services: refresh the package lists: apt-get update -qq\n" +
		"services: install postgresql: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql\n" +
		"services: failed to install postgresql\n"
	if out != want {
		t.Errorf("output:\ngot:\n%s\nwant:\n%s", out, want)
	}
	b, _ := os.ReadFile(log)
	if got := string(b); got != "apt-get update -qq\napt-get install -y -qq postgresql\n" {
		t.Errorf("apt-get calls: got %q, want the update, then the install", got)
	}
}

// TestServicesMode refuses a mode it does not know.
func TestServicesMode(t *testing.T) {
	path, _ := fakeMachine(t)
	out, err := runServices(t, path, "KEYCARD_SERVICES=yes")
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 2 || !strings.Contains(out, `want "check"`) {
		t.Errorf("got %v, %q; want status 2 naming check", err, out)
	}
}

// TestRedisDatabase checks that test.sh gives the tests a Redis database
// of their own by default, not 0, where other programs keep their data.
func TestRedisDatabase(t *testing.T) {
	b, err := os.ReadFile("test.sh")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = `KEYCARD_TEST_REDIS_URL="${KEYCARD_TEST_REDIS_URL:-`
	_, rest, ok := strings.Cut(string(b), prefix)
	if !ok {
		t.Fatalf("test.sh sets no default KEYCARD_TEST_REDIS_URL")
	}
	url, _, _ := strings.Cut(rest, "}")
	i := strings.LastIndex(url, "/")
	if db := url[i+1:]; i < len("redis://") || db == "" || db == "0" {
		t.Errorf("default Redis URL %s: got database %q, want one of the tests' own, not 0", url, db)
	}
}
