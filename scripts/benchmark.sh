#!/usr/bin/env bash
# `make bench`: run scripts/benchmark.py in a throw-away copy of a fresh
# database with clinic_prepay and its wallet installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh
DB="${CLINIC_BENCH_DB:-clinic_prepay_bench}"
CONF="$ROOT/.odoo-bench.conf"
mkdir -p "$ROOT/.odoo-data"
write_odoo_conf "$CONF" "$DB" "without_demo = all"
dropdb --if-exists "$DB"
"${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i clinic_prepay,clinic_prepay_wallet --stop-after-init --log-level=warn
trap 'dropdb --if-exists "$DB"; rm -rf "$ROOT/.odoo-data/filestore/$DB"' EXIT
"$PY" scripts/benchmark.py -c "$CONF" -d "$DB" "$@"
