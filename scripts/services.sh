#!/usr/bin/env bash
# Starts the services the test suite needs when they are not running, and
# installs them on a fresh machine: PostgreSQL on 127.0.0.1:5432 (trust
# auth, database "test"), Redis on 127.0.0.1:6379, and Chromium for the UI
# tests.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
    echo "services: installing PostgreSQL" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_up; then
    echo "services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    pg_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi
# The suite connects as postgres to database test; create it on a new machine.
if ! psql -h 127.0.0.1 -U postgres -d test -qtAc 'SELECT 1' >/dev/null 2>&1; then
    su postgres -c "psql -qc 'CREATE DATABASE test'" || true
fi
psql -h 127.0.0.1 -U postgres -d test -qtAc 'SELECT 1' >/dev/null
if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "services: starting Redis" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "services: Redis did not start" >&2; exit 1; }
fi
# The UI tests drive a real headless Chromium (internal/web).
if [ ! -x /usr/bin/chromium ]; then
    echo "services: installing Chromium" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
