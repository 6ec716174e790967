// Package clienttest tests the public Go client (module
// github.com/keycard/keycard/client) against the real API server, on
// SQLite and PostgreSQL, and runs the client's examples. It lives in the
// server's module because the client's module must not depend on the
// server: it holds tests only.
package clienttest
