#!/usr/bin/env bash
# `make bench`: run scripts/benchmark.py in a throw-away copy of a fresh
# database with clinic_prepay and its wallet installed, then
# scripts/benchmark_membership.py in another with the memberships.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh
DB="${CLINIC_BENCH_DB:-clinic_prepay_bench}"
MDB="$DB-membership"
CONF="$ROOT/.odoo-bench.conf"
MCONF="$ROOT/.odoo-bench-membership.conf"
mkdir -p "$ROOT/.odoo-data"
write_odoo_conf "$CONF" "$DB" "without_demo = all"
write_odoo_conf "$MCONF" "$MDB" "without_demo = all"
dropdb --if-exists "$DB"
dropdb --if-exists "$MDB"
trap 'dropdb --if-exists "$DB"; dropdb --if-exists "$MDB"; rm -rf "$ROOT/.odoo-data/filestore/$DB" "$ROOT/.odoo-data/filestore/$MDB"' EXIT
"${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i clinic_prepay,clinic_prepay_wallet --stop-after-init --log-level=warn
"$PY" scripts/benchmark.py -c "$CONF" -d "$DB" "$@"
echo
"${ODOO_BIN[@]}" -c "$MCONF" -d "$MDB" -i clinic_prepay_membership --stop-after-init --log-level=warn
"$PY" scripts/benchmark_membership.py -c "$MCONF" -d "$MDB"
