#!/usr/bin/env bash
# `make run`: an Odoo 18 server on http://localhost:8069 with the demo clinic
# database (created once), printing the demo logins.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh

DB="${CLINIC_DEMO_DB:-clinic_prepay_demo}"
PORT="${CLINIC_PORT:-8069}"
CONF="$ROOT/.odoo-demo.conf"
mkdir -p "$ROOT/.odoo-data"
write_odoo_conf "$CONF" "$DB" "http_port = $PORT"

if ! psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    echo "[run] creating the demo clinic database $DB (once; takes a few minutes)"
    "${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i clinic_prepay,clinic_prepay_website,clinic_prepay_wallet,clinic_prepay_website_wallet,clinic_prepay_membership,payment_stripe \
        --stop-after-init --log-level=warn
elif [ "${CLINIC_UPGRADE:-1}" = "1" ]; then
    echo "[run] upgrading the clinic add-ons in $DB"
    # add-ons newer than the database are installed (their demo data with
    # them); naming an installed one in -i would load its demo data again
    INSTALL=payment_stripe
    for addon in clinic_prepay_wallet clinic_prepay_website_wallet clinic_prepay_stripe_wallet clinic_prepay_membership clinic_prepay_stripe_membership clinic_prepay_website_membership; do
        state=$(psql -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = '$addon'")
        [ "$state" = "installed" ] || INSTALL="$INSTALL,$addon"
    done
    "${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i "$INSTALL" -u clinic_prepay,clinic_prepay_website,clinic_prepay_stripe,clinic_prepay_wallet,clinic_prepay_website_wallet,clinic_prepay_stripe_wallet,clinic_prepay_membership,clinic_prepay_stripe_membership,clinic_prepay_website_membership \
        --stop-after-init --log-level=warn
fi

cat <<MSG

  Demo clinic: http://localhost:$PORT/web/login   (database $DB)
  Logins (password = login):
    admin         administrator, clinic manager
    frontdesk     front desk (clinic user)
    manager       clinic manager
    practitioner  practitioner (clinic user)
    accountant    accountant
    patient       portal patient (Patricia Patient)
  Stop with Ctrl-C.

MSG
exec "${ODOO_BIN[@]}" -c "$CONF" -d "$DB"
