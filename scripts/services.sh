#!/usr/bin/env bash
# Starts the services the test suite needs when they are not running, and
# installs them on a fresh machine: PostgreSQL on 127.0.0.1:5432 (user
# postgres without a password, database "test"), Redis on 127.0.0.1:6379,
# and Chromium for the UI tests.
set -euo pipefail

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL.
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
as_postgres() { psql -h 127.0.0.1 -U postgres "$@"; }
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services: installing PostgreSQL" >&2
    apt_install postgresql
fi
if ! pg_up; then
    echo "services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    pg_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi
# A fresh Debian install asks for a password over TCP; the suite connects as
# postgres without one, from this machine only.
if ! as_postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
    echo "services: letting postgres connect from 127.0.0.1 without a password" >&2
    hba=$(su postgres -c "psql -qtAc 'SHOW hba_file'")
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    su postgres -c "psql -qtAc 'SELECT pg_reload_conf()'" >/dev/null
fi
if ! as_postgres -d test -qtAc 'SELECT 1' >/dev/null 2>&1; then
    as_postgres -d postgres -qc 'CREATE DATABASE test'
fi
as_postgres -d test -qtAc 'SELECT 1' >/dev/null

# Redis.
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis" >&2
    apt_install redis-server
fi
if ! redis_up; then
    echo "services: starting Redis" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
    redis_up || { echo "services: Redis did not start" >&2; exit 1; }
fi

# Chromium, which the UI tests drive headless (internal/web).
if [ ! -x /usr/bin/chromium ]; then
    echo "services: installing Chromium" >&2
    apt_install chromium
fi
