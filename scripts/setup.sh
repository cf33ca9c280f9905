#!/usr/bin/env bash
# Shared, idempotent set-up for `make run` and `make test`:
# system packages, PostgreSQL, the project venv with Odoo 18.0 and the
# Python requirements. Safe to run again; it only does what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
ODOO_SERIES="18.0"
ODOO_ARCHIVE_URL="${ODOO_ARCHIVE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root for: $*"; return 1
    fi
}

# --- system packages --------------------------------------------------------
system_packages() {
    local missing=()
    for pkg in libldap2-dev libsasl2-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    command -v chromium >/dev/null || missing+=(chromium)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --- PostgreSQL -------------------------------------------------------------
postgres() {
    if [ -z "${PGHOST:-}" ] && command -v pg_lsclusters >/dev/null; then
        pg_lsclusters --no-header | while read -r ver name _port status _rest; do
            if [ "$status" != "online" ]; then
                log "starting PostgreSQL cluster $ver/$name"
                as_root pg_ctlcluster "$ver" "$name" start
            fi
        done
    fi
    local user="${PGUSER:-$(id -un)}"
    for _ in $(seq 1 30); do
        pg_isready -q && break
        sleep 1
    done
    if [ -z "${PGHOST:-}" ] && id postgres >/dev/null 2>&1; then
        # A local cluster: make sure a role for the current user exists.
        if ! as_root runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='$user'" | grep -q 1; then
            log "creating PostgreSQL role $user"
            as_root runuser -u postgres -- createuser --createdb "$user"
        fi
    fi
}

# --- Odoo + Python requirements ----------------------------------------------
find_odoo_src() {
    if [ -n "${ODOO_SRC:-}" ]; then
        echo "$ODOO_SRC"
    elif [ -f /opt/odoo18/odoo/release.py ]; then
        echo /opt/odoo18
    else
        local dest="$ROOT/.odoo-src"
        if [ ! -f "$dest/odoo/release.py" ]; then
            log "downloading the official Odoo $ODOO_SERIES source"
            mkdir -p "$dest"
            curl -fsSL "$ODOO_ARCHIVE_URL" | tar -xz -C "$dest" --strip-components=1
        fi
        echo "$dest"
    fi
}

python_env() {
    [ -x "$PY" ] || { log "creating $VENV"; python3 -m venv "$VENV"; }
    # pip's own constraints (pip.conf) are kept; Odoo's cbor2 pin needs setuptools<81 to build.
    local constraints="$VENV/constraints.txt"
    : >"$constraints"
    local existing
    existing="$("$PY" -m pip config get global.constraint 2>/dev/null || true)"
    for c in $existing ${PIP_CONSTRAINT:-}; do
        [ -f "$c" ] && echo "-c $c" >>"$constraints"
    done
    echo "setuptools<81" >>"$constraints"
    export PIP_CONSTRAINT="$constraints"
    local pip=("$PY" -m pip install -q)

    local stamp="$VENV/.requirements.sha"
    local odoo_src=""
    # An odoo importable from the interpreter running setup is used as it is.
    if ! "$PY" -c "import odoo" 2>/dev/null; then
        if python3 -c "import odoo, sys; sys.exit(0 if odoo.release.serie == '$ODOO_SERIES' else 1)" 2>/dev/null; then
            odoo_src="$(python3 -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')"
        else
            odoo_src="$(find_odoo_src)"
        fi
    else
        odoo_src="$("$PY" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')"
    fi
    local want
    want="$(cat "$odoo_src/requirements.txt" "$ROOT/requirements.txt" "$ROOT/requirements-test.txt" | sha1sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$PY" -c "import odoo" 2>/dev/null; then
        log "installing Odoo $ODOO_SERIES from $odoo_src and the requirements into $VENV"
        "${pip[@]}" "pip" "setuptools<81" wheel
        "${pip[@]}" -r "$odoo_src/requirements.txt"
        "$PY" -c "import odoo" 2>/dev/null || "${pip[@]}" --no-deps --no-build-isolation -e "$odoo_src"
        "${pip[@]}" -r "$ROOT/requirements.txt" -r "$ROOT/requirements-test.txt"
        echo "$want" >"$stamp"
    fi
    "$PY" -c "import odoo; assert odoo.release.serie == '$ODOO_SERIES', odoo.release.serie"
}

system_packages
postgres
python_env
log "ready: $("$PY" -c 'import odoo; print("Odoo", odoo.release.version, "from", odoo.__path__[0])')"
