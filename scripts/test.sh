#!/usr/bin/env bash
# `make test`: a fresh test database with clinic_prepay installed (no demo
# data), then the whole suite through pytest-odoo. Skipped tests fail the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh

# CLINIC_TEST_DB and CLINIC_TEST_PORT let runs beside this one (the moved
# clocks, the add-ons alone, `make run`) use their own database and port.
DB="${CLINIC_TEST_DB:-clinic_prepay_test}"
# The add-ons installed, and whose tests run: all of them by default.
ADDONS="${CLINIC_TEST_ADDONS:-clinic_prepay,clinic_prepay_website,clinic_prepay_stripe,clinic_prepay_stripe_payout,clinic_prepay_sms,clinic_prepay_wallet,clinic_prepay_website_wallet,clinic_prepay_stripe_wallet,clinic_prepay_membership,clinic_prepay_stripe_membership,clinic_prepay_website_membership}"
CONF="$ROOT/.odoo-test.conf"
[ "$DB" = clinic_prepay_test ] || CONF="$ROOT/.odoo-$DB.conf"
LOG="$ROOT/.odoo-data/$DB-install.log"
mkdir -p "$ROOT/.odoo-data"
write_odoo_conf "$CONF" "$DB" "without_demo = all" "http_interface = 127.0.0.1" \
    "http_port = ${CLINIC_TEST_PORT:-8069}"

echo "[test] creating database $DB with $ADDONS and what they declare (no demo data)"
dropdb --if-exists "$DB"
rm -rf "$ROOT/.odoo-data/filestore/$DB"
"${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i "$ADDONS" \
    --stop-after-init --log-level=warn --logfile="$LOG"
echo "[test] upgrading the add-ons (-u) on it"
"${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -u "$ADDONS" \
    --stop-after-init --log-level=warn --logfile="$LOG.upgrade"
# The install and the upgrade must be clean: no warning, no error in the log.
if grep -E " (WARNING|ERROR|CRITICAL) " "$LOG" "$LOG.upgrade"; then
    echo "[test] the install/upgrade log above has warnings or errors" >&2
    exit 1
fi

TESTS=()
for addon in ${ADDONS//,/ }; do
    TESTS+=("$addon/tests")
done
echo "[test] running the tests of ${TESTS[*]}"
exec "$PY" -m pytest -c "$ROOT/pytest.ini" \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    "$@" "${TESTS[@]}"
