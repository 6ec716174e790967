package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// benchConn is one keep-alive HTTP/1.1 connection driven by hand, the way
// wrk drives one: a request written whole, its response read and dropped
// on the same goroutine. net/http's client hands each request between
// three goroutines and allocates dozens of objects for it, which on a
// 2-core machine takes CPU from the server being measured and adds its own
// scheduling delays to every latency.
type benchConn struct {
	addr string // host:port
	conn net.Conn
	r    *bufio.Reader
	req  []byte // the request being written, reused
	stop func() bool
}

func newBenchConn(addr string) *benchConn {
	return &benchConn{addr: addr, r: bufio.NewReaderSize(nil, 16<<10)}
}

// do sends one request and reads its response, returning the status. A
// connection that fails is closed, and the next request dials afresh. A
// kept-alive connection the server closed while it was idle (past its
// IdleTimeout, as a slow --rate leaves them) gets the request again on a
// new one, as net/http's client does: the server never saw it.
func (c *benchConn) do(ctx context.Context, method, path string, header http.Header, body string) (int, error) {
	reused := c.conn != nil
	status, err := c.roundTrip(ctx, method, path, header, body)
	if err != nil && reused && errors.Is(err, errStale) {
		status, err = c.roundTrip(ctx, method, path, header, body)
	}
	return status, err
}

// errStale is a connection found closed before any of the response came.
var errStale = errors.New("connection closed by the server before the response")

func (c *benchConn) roundTrip(ctx context.Context, method, path string, header http.Header, body string) (int, error) {
	if c.conn == nil {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		c.r.Reset(conn)
		// An interrupted bench must not wait on a response that never comes.
		c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	}
	c.req = appendRequest(c.req[:0], method, path, c.addr, header, body)
	if _, err := c.conn.Write(c.req); err != nil {
		c.Close()
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			err = fmt.Errorf("%w: %w", errStale, err)
		}
		return 0, err
	}
	status, keep, err := readResponse(c.r)
	if err != nil || !keep {
		c.Close()
	}
	return status, err
}

// Close closes the connection, if one is open.
func (c *benchConn) Close() {
	if c.conn != nil {
		c.stop()
		c.conn.Close()
		c.conn = nil
	}
}

// appendRequest appends an HTTP/1.1 request to b.
func appendRequest(b []byte, method, path, host string, header http.Header, body string) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for k, vs := range header {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if body != "" || method == "POST" {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

var errBadResponse = errors.New("malformed HTTP response")

// readResponse reads one response from r and discards its body. It returns
// the status, and whether the connection may carry another request.
func readResponse(r *bufio.Reader) (status int, keepAlive bool, err error) {
	line, err := r.ReadSlice('\n')
	if len(line) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		return 0, false, fmt.Errorf("%w: %w", errStale, err)
	}
	if err != nil {
		return 0, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	status, ok := digits(line[9:12])
	if !ok {
		return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	length, chunked, keepAlive := -1, false, true
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header %q", errBadResponse, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := digits(value)
			if !ok {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case status == http.StatusNoContent || status == http.StatusNotModified || status < 200:
		// No body, whatever the headers say.
	case chunked:
		err = discardChunked(r)
	case length >= 0:
		_, err = r.Discard(length)
	default:
		// No length: the body runs to the end of the connection.
		_, err = io.Copy(io.Discard, r)
		keepAlive = false
	}
	if err != nil {
		return 0, false, err
	}
	return status, keepAlive, nil
}

// discardChunked reads and drops a chunked body and its trailer.
func discardChunked(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if n == 0 {
			break
		}
		if _, err := r.Discard(int(n)); err != nil {
			return err
		}
		if crlf, err := r.ReadSlice('\n'); err != nil || len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk", errBadResponse)
		}
	}
	for { // the trailer, up to an empty line
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// digits reads a non-negative decimal number of at most 18 digits.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
