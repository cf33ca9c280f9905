#!/usr/bin/env bash
# The figures of a clinic database (the demo's by default) against counts
# computed independently from its appointments.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh
DB="${1:-${CLINIC_DEMO_DB:-clinic_prepay_demo}}"
"${ODOO_BIN[@]}" shell -c "$ROOT/.odoo-test.conf" -d "$DB" --log-level=warn --no-http \
    < scripts/check_figures.py
