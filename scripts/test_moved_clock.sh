#!/usr/bin/env bash
# The whole suite (`make test`) with the clock moved to another moment, for
# Odoo, the browser and PostgreSQL alike (PostgreSQL's now() is Odoo's
# cr.now(), used for create_date): libfaketime in every process, and a
# throw-away PostgreSQL cluster started under it on 127.0.0.1.
#   bash scripts/test_moved_clock.sh "2026-12-05 23:30"        # a Saturday night (UTC)
#   bash scripts/test_moved_clock.sh "2027-03-28 01:05" -k waitlist
# The clock starts at that moment (UTC) and runs on from there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MOMENT="${1:?usage: scripts/test_moved_clock.sh 'YYYY-MM-DD HH:MM' [pytest arguments]}"
shift
log() { printf '\033[1;35m[clock]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

bash scripts/setup.sh
lib="$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime.so.1$' || true)"
if [ -z "$lib" ]; then
    log "installing libfaketime"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfaketime >/dev/null
    lib="$(dpkg -L libfaketime | grep '/libfaketime.so.1$')"
fi
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

# An offset from the real clock (not a fixed start), so that every process
# started later (PostgreSQL backends, Odoo, Chromium) reads the same clock.
# The monotonic clock moves with it: with FAKETIME_DONT_FAKE_MONOTONIC=1,
# libfaketime 0.9.10 makes Python's time.sleep() fail with EINVAL.
offset=$(($(date -u -d "$MOMENT" +%s) - $(date -u +%s)))
export LD_PRELOAD="$lib" FAKETIME="$(printf '%+d' "$offset")"
log "clock moved by ${FAKETIME}s: $(date -u '+%a %d %b %Y %H:%M %Z')"

# A PostgreSQL cluster of its own, under the moved clock.
pg_dir="$(mktemp -d /tmp/clinic-clock-pg.XXXXXX)"
pg_port="${CLINIC_CLOCK_PGPORT:-55432}"
pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- env LD_PRELOAD="$LD_PRELOAD" FAKETIME="$FAKETIME" "$@"; else "$@"; fi; }
[ "$(id -u)" -ne 0 ] || chown postgres "$pg_dir"
cleanup() {
    pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap cleanup EXIT
pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
user="$(id -un)"
psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE ROLE \"$user\" LOGIN CREATEDB"
log "PostgreSQL says: $(psql -h 127.0.0.1 -p "$pg_port" -U "$user" -d postgres -Atc "SELECT now()")"

PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER="$user" CLINIC_TEST_DB=clinic_prepay_clock \
    CLINIC_TEST_PORT="${CLINIC_TEST_PORT:-8269}" bash scripts/test.sh "$@"
