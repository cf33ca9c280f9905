#!/usr/bin/env bash
# Each add-on on its own, as the OCA CI tests add-ons: a fresh database with
# only that add-on and what its manifest declares (plus what Odoo installs
# automatically with them), then that add-on's own tests.
#   bash scripts/test_each_addon.sh                  # all of them
#   bash scripts/test_each_addon.sh clinic_prepay_sms
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ADDONS=("$@")
[ "${#ADDONS[@]}" -gt 0 ] || ADDONS=(clinic_prepay clinic_prepay_website clinic_prepay_stripe
    clinic_prepay_stripe_payout clinic_prepay_sms clinic_prepay_wallet clinic_prepay_website_wallet clinic_prepay_stripe_wallet clinic_prepay_membership clinic_prepay_stripe_membership clinic_prepay_website_membership)
bash scripts/setup.sh || exit 1

failed=()
summary=()
for addon in "${ADDONS[@]}"; do
    db="alone_$addon"
    log="$(mktemp)"
    echo "[alone] $addon: database $db with $addon and its declared dependencies"
    CLINIC_TEST_DB="$db" CLINIC_TEST_ADDONS="$addon" CLINIC_TEST_PORT="${CLINIC_TEST_PORT:-8169}" \
        bash scripts/test.sh 2>&1 | tee "$log"
    rc="${PIPESTATUS[0]}"
    installed="$(psql -d "$db" -Atc "SELECT string_agg(name, ',' ORDER BY name) FROM ir_module_module
        WHERE state = 'installed' AND name LIKE 'clinic_prepay%'" 2>/dev/null)"
    result="$(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -1)"
    summary+=("$addon (installed: $installed): ${result:-no summary} rc=$rc")
    [ "$rc" -eq 0 ] || failed+=("$addon")
    rm -f "$log"
    dropdb --if-exists "$db"
    rm -rf ".odoo-data/filestore/$db" ".odoo-$db.conf"
done

echo
echo "[alone] each add-on on its own:"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "[alone] failed: ${failed[*]}" >&2
    exit 1
fi
