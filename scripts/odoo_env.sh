# Sourced by the run and test scripts: paths and an Odoo config for this checkout.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
ODOO_BIN=("$PY" -m odoo)
ODOO_ADDONS="$("$PY" -c 'import odoo.addons, os; print(",".join(p for p in odoo.addons.__path__ if os.path.isdir(p)))')"

# write_odoo_conf FILE DBNAME [extra "key = value" lines...]
write_odoo_conf() {
    local file="$1" db="$2"
    shift 2
    {
        echo "[options]"
        echo "addons_path = $ODOO_ADDONS,$ROOT"
        echo "data_dir = $ROOT/.odoo-data"
        echo "db_name = $db"
        echo "dbfilter = ^$db\$"
        echo "list_db = False"
        [ -n "${PGHOST:-}" ] && echo "db_host = $PGHOST"
        [ -n "${PGPORT:-}" ] && echo "db_port = $PGPORT"
        [ -n "${PGUSER:-}" ] && echo "db_user = $PGUSER"
        [ -n "${PGPASSWORD:-}" ] && echo "db_password = $PGPASSWORD"
        for line in "$@"; do echo "$line"; done
    } >"$file"
}
