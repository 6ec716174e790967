// Package redistest starts a Redis server of a test's own, which the test
// may pause and resume (SIGSTOP, SIGCONT) to play a hung Redis without
// touching the server other tests share.
package redistest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Server is a running redis-server process.
type Server struct {
	// URL is the server's redis:// address.
	URL string
	cmd *exec.Cmd
}

// Start starts redis-server on a free loopback port, keeping nothing on
// disk, and stops it at the end of the test. Without redis-server on the
// PATH the test is skipped, except in CI, where it fails.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but redis-server is not installed: %v", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	s := &Server{URL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", cmd: cmd}
	// Redis says when it listens: read its log up to that line, then drain
	// the rest until the process ends.
	ready := make(chan bool, 1)
	drained := make(chan struct{})
	var log []string
	go func() {
		defer close(drained)
		waiting := true
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if waiting {
				log = append(log, sc.Text())
				if strings.Contains(sc.Text(), "Ready to accept connections") {
					waiting = false
					ready <- true
				}
			}
		}
		if waiting {
			ready <- false
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
	})
	if !<-ready {
		<-drained
		t.Fatalf("redis-server exited before it was ready:\n%s", strings.Join(log, "\n"))
	}
	return s
}

// Pause stops the server process (SIGSTOP): connections are accepted by
// the kernel but nothing answers, as with a hung server.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pause redis-server: %v", err)
	}
}

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume redis-server: %v", err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
