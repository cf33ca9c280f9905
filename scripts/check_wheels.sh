#!/usr/bin/env bash
# The add-ons as integrators install them: each built as a wheel (whool, from
# the files git tracks), installed with pip into a clean venv that has only
# Odoo, then installed with their demo data on a fresh database from
# site-packages, with no path to this checkout.
#   bash scripts/check_wheels.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/odoo_env.sh
source scripts/odoo_env.sh
log() { printf '\033[1;32m[wheels]\033[0m %s\n' "$*" >&2; }

ADDONS=(clinic_prepay clinic_prepay_website clinic_prepay_stripe clinic_prepay_stripe_payout clinic_prepay_sms clinic_prepay_wallet clinic_prepay_website_wallet clinic_prepay_stripe_wallet clinic_prepay_membership clinic_prepay_stripe_membership clinic_prepay_website_membership)
DB="${CLINIC_WHEEL_DB:-clinic_prepay_wheels}"
WORK="$(mktemp -d /tmp/clinic-wheels.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ODOO_SRC="$("$PY" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')"

log "building the wheels into $WORK/dist"
for addon in "${ADDONS[@]}"; do
    "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$WORK/dist" "./$addon"
done
ls "$WORK/dist"

log "a clean venv with Odoo from $ODOO_SRC, then the wheels and what they require"
python3 -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
echo "setuptools<81" >"$WORK/constraints.txt"
export PIP_CONSTRAINT="$WORK/constraints.txt"
"$VPY" -m pip install -q "setuptools<81" wheel
"$VPY" -m pip install -q -r "$ODOO_SRC/requirements.txt"
"$VPY" -m pip install -q --no-deps --no-build-isolation -e "$ODOO_SRC"
"$VPY" -m pip install -q "$WORK"/dist/*.whl
"$VPY" -m pip list 2>/dev/null | grep -E '^(odoo|odoo-addon-[a-z_]+|stripe) ' || true

# Run from the work directory: nothing of the checkout is importable.
cd "$WORK"
ADDONS_PATH="$("$VPY" -c 'import odoo.addons, os; print(",".join(p for p in odoo.addons.__path__ if os.path.isdir(p)))')"
case ",$ADDONS_PATH," in *",$OLDPWD,"* | *",$OLDPWD/"*)
    echo "the addons path reaches the checkout: $ADDONS_PATH" >&2
    exit 1
    ;;
esac
log "addons path: $ADDONS_PATH"
dropdb --if-exists "$DB"
"$VPY" -m odoo --addons-path="$ADDONS_PATH" --data-dir="$WORK/data" -d "$DB" \
    ${PGHOST:+--db_host="$PGHOST"} ${PGPORT:+--db_port="$PGPORT"} ${PGUSER:+--db_user="$PGUSER"} \
    -i "$(
        IFS=,
        echo "${ADDONS[*]}"
    )" --stop-after-init --log-level=warn --logfile="$WORK/install.log"
if grep -E " (WARNING|ERROR|CRITICAL) " "$WORK/install.log"; then
    echo "the install log above has warnings or errors" >&2
    exit 1
fi

log "where the installed add-ons come from"
"$VPY" - "$ADDONS_PATH" "${ADDONS[@]}" <<'EOF'
import sys

import odoo
from odoo.modules.module import get_module_path, initialize_sys_path

addons_path, *addons = sys.argv[1:]
odoo.tools.config.parse_config(["--addons-path", addons_path])
initialize_sys_path()
paths = [get_module_path(addon) or "" for addon in addons]
for addon, path in zip(addons, paths):
    print(f"{addon:30} {path}")
sys.exit(0 if all("/site-packages/odoo/addons/" in path for path in paths) else 1)
EOF
psql -d "$DB" -Atc "SELECT name || ' ' || state || ' ' || latest_version FROM ir_module_module
    WHERE name LIKE 'clinic_prepay%' ORDER BY name" | tee "$WORK/states"
[ "$(grep -c ' installed ' "$WORK/states")" -eq "${#ADDONS[@]}" ]
echo "demo clinic: $(psql -d "$DB" -Atc "SELECT count(*) FROM clinic_appointment") appointments"
dropdb "$DB"
log "the wheels install on a fresh database from site-packages"
