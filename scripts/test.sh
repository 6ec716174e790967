#!/usr/bin/env bash
# Runs every test, with the race detector: the storage, API and CLI suites
# against SQLite and PostgreSQL, the rate limiter against Redis, the UI in
# headless Chromium. It first starts (and on a fresh machine installs) what
# the tests need: see scripts/services.sh. Extra arguments go to "go test"
# (e.g. -run X). The Go client is a module of its own (client/go.mod): its
# tests run from there, after the server's (whose ./... leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
export KEYCARD_TEST_POSTGRES_URL="${KEYCARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
export KEYCARD_TEST_REDIS_URL="${KEYCARD_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
scripts/services.sh
go test -race -count=1 "$@" ./...
(cd client && go test -race -count=1 "$@" ./...)
