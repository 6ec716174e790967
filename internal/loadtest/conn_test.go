package loadtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBenchConn drives one benchConn through every way net/http ends a
// response: a Content-Length, a chunked body with a trailer, an empty
// 204, a response that closes the connection, and a POST body the server
// echoes the length of. Each status must come back in order, on as few
// connections as the responses allow.
func TestBenchConn(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/chunked":
			w.Header().Set("Trailer", "X-Done")
			for range 5 {
				w.Write([]byte(strings.Repeat("y", 40<<10)))
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Done", "yes")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusAccepted)
		case "/post":
			if r.Method != "POST" || r.Header.Get("User-Api-Key") != "k" || r.ContentLength != 7 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newBenchConn(strings.TrimPrefix(srv.URL, "http://"))
	t.Cleanup(c.Close)
	ctx := context.Background()
	for _, step := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/length", "", 200}, {"GET", "/chunked", "", 200}, {"GET", "/empty", "", 204}, {"GET", "/length", "", 200},
		{"GET", "/close", "", 202}, {"POST", "/post", `{"a":1}`, 201}, {"GET", "/chunked", "", 200},
	} {
		status, err := c.do(ctx, step.method, step.path, http.Header{"User-Api-Key": {"k"}}, step.body)
		if err != nil || status != step.want {
			t.Fatalf("%s %s: status %d, %v; want %d", step.method, step.path, status, err, step.want)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: one until the server closed it, one after", n)
	}
}

// TestBenchConnRefusesGarbage checks that a response that is not HTTP is
// an error, not a status.
func TestBenchConnRefusesGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 1024)
		conn.Read(buf)
		conn.Write([]byte("SSH-2.0-nope\r\n\r\n"))
	}()
	c := newBenchConn(ln.Addr().String())
	t.Cleanup(c.Close)
	if status, err := c.do(context.Background(), "GET", "/", nil, ""); !errors.Is(err, errBadResponse) {
		t.Errorf("a non-HTTP answer: status %d, error %v; want errBadResponse", status, err)
	}
}

// TestBenchConnAfterIdleClose lets the server close a kept-alive
// connection for idleness, then sends on it: the request goes again on a
// new connection and succeeds, as with net/http's client.
func TestBenchConnAfterIdleClose(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.IdleTimeout = time.Millisecond
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newBenchConn(strings.TrimPrefix(srv.URL, "http://"))
	t.Cleanup(c.Close)
	ctx := context.Background()
	if status, err := c.do(ctx, "GET", "/", nil, ""); err != nil || status != 200 {
		t.Fatalf("first request: %d, %v", status, err)
	}
	<-closed // the server has closed the idle connection
	if status, err := c.do(ctx, "GET", "/", nil, ""); err != nil || status != 200 {
		t.Fatalf("request after the server closed the idle connection: %d, %v; want 200", status, err)
	}
}
