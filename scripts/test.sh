#!/usr/bin/env bash
# Runs every test, with the race detector: the storage, API and CLI suites
# against SQLite and PostgreSQL, the rate limiter against Redis, the UI in
# headless Chromium. It first starts (and on a fresh machine installs) what
# the tests need: see scripts/services.sh, which prints each change to the
# machine before it makes it; with KEYCARD_SERVICES=check it only reports
# what it would change, and fails if something is missing. Extra arguments
# go to "go test" (e.g. -run X). The Go client is a module of its own
# (client/go.mod): its tests run from there, after the server's (whose
# ./... leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
export KEYCARD_TEST_POSTGRES_URL="${KEYCARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
# Redis database 9, not 0: the tests write keys there (under prefixes of
# their own), and 0 is where anything else on the machine keeps its data.
export KEYCARD_TEST_REDIS_URL="${KEYCARD_TEST_REDIS_URL:-redis://127.0.0.1:6379/9}"
scripts/services.sh
go test -race -count=1 -timeout 30m "$@" ./...
(cd client && go test -race -count=1 -timeout 30m "$@" ./...)
