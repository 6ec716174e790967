#!/usr/bin/env bash
# Runs every test, with the race detector, against SQLite and PostgreSQL.
# It first starts (and on a fresh machine installs) what the tests need;
# see scripts/services.sh. Extra arguments go to "go test" (e.g. -run X).
set -euo pipefail
cd "$(dirname "$0")/.."
export KEYCARD_TEST_POSTGRES_URL="${KEYCARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
scripts/services.sh
go test -race -count=1 "$@" ./...
