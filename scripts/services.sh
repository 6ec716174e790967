#!/usr/bin/env bash
# Starts the services the test suite needs when they are not running, and
# installs them on a fresh machine: PostgreSQL on 127.0.0.1:5432 (user
# postgres without a password, database "test"), Redis on 127.0.0.1:6379,
# and Chromium for the UI tests.
#
# It says what it changes on the machine before it changes it: every
# package it installs, service it starts, line it adds to a configuration
# file and database it creates is printed first, on standard error, as
# "services: <what>: <command>". It never asks: CI runs it unattended.
#
# KEYCARD_SERVICES=check changes nothing: it prints what it would change
# ("services: would ...") and exits 1 if anything is missing, 0 if all is
# there.
set -euo pipefail

mode="${KEYCARD_SERVICES:-apply}"
case "$mode" in
apply | check) ;;
*)
    echo "services: KEYCARD_SERVICES is \"$mode\": want \"check\", or unset to start and install what is missing" >&2
    exit 2
    ;;
esac
missing=0

# change WHAT COMMAND...: a change to the machine. It prints WHAT and the
# command, then runs it, and stops the script if it fails; in check mode it
# only prints them, and returns 1 so that the caller skips what depends on
# the change.
change() {
    local what="$1"
    shift
    if [ "$mode" = check ]; then
        echo "services: would $what: $*" >&2
        missing=1
        return 1
    fi
    echo "services: $what: $*" >&2
    "$@" || { echo "services: failed to $what" >&2; exit 1; }
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ] && [ "$mode" = apply ]; then
        change "refresh the package lists" apt-get update -qq
        apt_updated=1
    fi
    change "install $*" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL.
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
as_postgres() { psql -h 127.0.0.1 -U postgres "$@"; }
need_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_up; then
        apt_install postgresql || return 0
    fi
    if ! pg_up; then
        local version
        version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
        change "start PostgreSQL $version" pg_ctlcluster --skip-systemctl-redirect "$version" main start || return 0
        for _ in $(seq 1 30); do pg_up && break; sleep 1; done
        pg_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
    fi
    # A fresh Debian install asks for a password over TCP; the suite
    # connects as postgres without one, from this machine only.
    if ! as_postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
        local hba
        hba=$(su postgres -c "psql -qtAc 'SHOW hba_file'" 2>/dev/null) || hba=pg_hba.conf
        change "let postgres connect from 127.0.0.1 without a password, adding a first line to $hba" \
            sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba" || return 0
        change "reload PostgreSQL's configuration" su postgres -c "psql -qtAc 'SELECT pg_reload_conf()'" >/dev/null
    fi
    if ! as_postgres -d test -qtAc 'SELECT 1' >/dev/null 2>&1; then
        change "create the database test" as_postgres -d postgres -qc 'CREATE DATABASE test' || return 0
    fi
    as_postgres -d test -qtAc 'SELECT 1' >/dev/null
}

# Redis.
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
need_redis() {
    if ! command -v redis-server >/dev/null 2>&1 && ! redis_up; then
        apt_install redis-server || return 0
    fi
    if ! redis_up; then
        change "start Redis on 127.0.0.1:6379, keeping nothing on disk" \
            redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || return 0
        for _ in $(seq 1 30); do redis_up && break; sleep 1; done
        redis_up || { echo "services: Redis did not start" >&2; exit 1; }
    fi
}

# Chromium, which the UI tests drive headless (internal/web).
need_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        apt_install chromium || return 0
    fi
}

need_postgres
need_redis
need_chromium
if [ "$mode" = check ]; then
    if [ "$missing" = 1 ]; then
        echo "services: something is missing; run scripts/services.sh (or scripts/test.sh) to make the changes above" >&2
        exit 1
    fi
    echo "services: PostgreSQL, Redis and Chromium are ready" >&2
fi
