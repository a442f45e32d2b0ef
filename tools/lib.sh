# Shared set-up for tools/run and tools/test: sourced, not executed.
#
# Finds Odoo through ODOO_SRC, installs what is missing (Debian's postgresql and chromium,
# a virtualenv with requirements.txt), and starts throwaway PostgreSQL clusters on loopback.
# Slow, reusable work is cached under TCT_CACHE: the virtualenv, and a "template" cluster in
# which the add-on's dependencies are installed with demo data and zh_CN loaded. Both are keyed
# by a hash of what they are built from, so a change to Odoo or to the requirements rebuilds them.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo}
TCT_CACHE=${TCT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trade_crm_tiering}
MODULE=trade_crm_tiering
TEMPLATE_DB=tct_template
# Bump when the way the template is built changes.
TEMPLATE_RECIPE=4

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '%s\n' "$*" >&2; exit 2; }

require_odoo_source() {
    [ -f "$ODOO_SRC/odoo-bin" ] && [ -d "$ODOO_SRC/odoo/addons/base" ] ||
        die "Odoo 18 source not found at ODOO_SRC=$ODOO_SRC (expected odoo-bin and odoo/addons/base there)."
}

apt_install() {
    [ "$(id -u)" = 0 ] || die "Debian packages missing ($*): install them or run as root."
    log "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$TCT_CACHE/apt.log" 2>&1 || {
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$TCT_CACHE/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$TCT_CACHE/apt.log" 2>&1
    } || die "apt-get install $* failed, see $TCT_CACHE/apt.log"
}

pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_system_packages() {
    mkdir -p "$TCT_CACHE"
    local missing=()
    [ -n "$(pg_bindir)" ] || missing+=(postgresql)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
    PGBIN=$(pg_bindir)
}

ensure_venv() {
    local key
    key=$( { python3 --version; cat "$ROOT/requirements.txt"; } | sha256sum | cut -c1-12)
    VENV="$TCT_CACHE/venv-$key"
    if [ ! -f "$VENV/.complete" ]; then
        log "creating virtualenv $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/requirements.txt" \
            >"$TCT_CACHE/pip.log" 2>&1 || die "pip install failed, see $TCT_CACHE/pip.log"
        touch "$VENV/.complete"
    fi
    PYTHON="$VENV/bin/python"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Run a PostgreSQL binary as the postgres user when we are root (the server refuses root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A work directory for one run: cluster, sockets, Odoo's filestore, logs. Removed on exit.
make_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/tct.XXXXXX")
    chmod 755 "$WORK"
    mkdir -p "$WORK/addons" "$WORK/data"
    ln -s "$ROOT" "$WORK/addons/$MODULE"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

cleanup() {
    local rc=$?
    if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
        pg_stop "$WORK" || true
        rm -rf "$WORK"
    fi
    exit "$rc"
}

# pg_init DIR: a new, empty cluster in DIR/pgdata whose superuser is "odoo" (Odoo refuses "postgres").
pg_init() {
    local dir=$1
    mkdir -p "$dir/pgdata" "$dir/sock"
    [ "$(id -u)" != 0 ] || chown postgres: "$dir/pgdata" "$dir/sock"
    as_pg "$PGBIN/initdb" -D "$dir/pgdata" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        die "initdb failed, see $dir/initdb.log"
}

# pg_start DIR: serve the cluster in DIR/pgdata on loopback, on a free port stored in PGPORT.
pg_start() {
    local dir=$1
    PGPORT=$(free_port)
    [ "$(id -u)" != 0 ] || chown postgres: "$dir/sock"
    as_pg "$PGBIN/pg_ctl" -D "$dir/pgdata" -l "$dir/sock/postgres.log" -w -t 60 start -o \
        "-p $PGPORT -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        >/dev/null || die "PostgreSQL did not start, see $dir/sock/postgres.log"
    export PGHOST=127.0.0.1 PGPORT PGUSER=odoo
}

pg_stop() {
    local dir=$1
    [ -f "$dir/pgdata/postmaster.pid" ] || return 0
    as_pg "$PGBIN/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1
}

# ODOO_CMD: odoo-bin with this run's addons path, filestore and database server.
odoo_command() {
    ODOO_CMD=("$PYTHON" "$ODOO_SRC/odoo-bin"
        --addons-path="$ODOO_SRC/odoo/addons,$WORK/addons"
        --data-dir="$WORK/data"
        --db_host=127.0.0.1 --db_port="$PGPORT" --db_user=odoo
        --http-interface=127.0.0.1)
}

odoo_bin() {
    odoo_command
    "${ODOO_CMD[@]}" "$@"
}

module_depends() {
    "$PYTHON" -c 'import ast, sys; print(",".join(ast.literal_eval(open(sys.argv[1]).read())["depends"]))' \
        "$ROOT/__manifest__.py"
}

# ensure_template: a cached cluster with the add-on's dependencies installed (demo data, zh_CN).
# Building it is the slow part of a run; it is rebuilt when Odoo, the requirements or the
# dependency list change.
ensure_template() {
    local deps key
    deps=$(module_depends)
    key=$( { echo "$TEMPLATE_RECIPE $deps"; cat "$ODOO_SRC/PKG-INFO" "$ROOT/requirements.txt";
             "$PGBIN/postgres" --version; } | sha256sum | cut -c1-12)
    TEMPLATE_TAR="$TCT_CACHE/template-$key.tar"
    [ -f "$TEMPLATE_TAR" ] && touch "$TEMPLATE_TAR" && return 0
    log "building the template database (dependencies: $deps); this is done once"
    local build
    build=$(mktemp -d "${TMPDIR:-/tmp}/tct-template.XXXXXX")
    chmod 755 "$build"
    mkdir -p "$build/data"
    pg_init "$build"
    pg_start "$build"
    local saved_work=${WORK:-}
    WORK=$build
    mkdir -p "$build/addons"
    ln -s "$ROOT" "$build/addons/$MODULE"
    # Install in English first, then add Chinese: loading a language while the database is
    # created would make it the only active language.
    if ! odoo_bin -d "$TEMPLATE_DB" -i "$deps" --stop-after-init \
            --http-port="$(free_port)" --log-level=warn >"$TCT_CACHE/template-install.log" 2>&1 ||
       ! odoo_bin -d "$TEMPLATE_DB" --load-language=zh_CN --stop-after-init \
            --http-port="$(free_port)" --log-level=warn >>"$TCT_CACHE/template-install.log" 2>&1; then
        pg_stop "$build"
        die "installing the dependencies failed, see $TCT_CACHE/template-install.log"
    fi
    WORK=$saved_work
    pg_stop "$build"
    rm -rf "$build/sock"/*
    tar -C "$build" -cf "$TEMPLATE_TAR.part.$$" pgdata data
    mv "$TEMPLATE_TAR.part.$$" "$TEMPLATE_TAR"
    rm -rf "$build"
    # Templates unused for a week are dead weight (others may serve another checkout).
    find "$TCT_CACHE" -maxdepth 1 -name 'template-*.tar' -mtime +7 -delete
}

# start_from_template DB: a throwaway cluster in $WORK copied from the template, with a fresh
# database DB made from the template database (and its filestore).
start_from_template() {
    local db=$1
    tar -C "$WORK" -xf "$TEMPLATE_TAR"
    mkdir -p "$WORK/sock"
    pg_start "$WORK"
    "$PGBIN/createdb" -T "$TEMPLATE_DB" "$db"
    if [ -d "$WORK/data/filestore/$TEMPLATE_DB" ]; then
        cp -a "$WORK/data/filestore/$TEMPLATE_DB" "$WORK/data/filestore/$db"
    fi
}

setup_all() {
    require_odoo_source
    ensure_system_packages
    ensure_venv
}

# odoo_options DB: the odoo-bin options of this run for database DB (for the Python tools).
odoo_options() {
    odoo_command
    printf '%s\n' "${ODOO_CMD[@]:2}" -d "$1" --http-port="$(free_port)" --workers=0 --max-cron-threads=0
}

# run_host_suite DB: Odoo's own tests of the modules the add-on extends, on a copy of the template
# (baseline, no add-on) and on DB (add-on installed); writes $WORK/host-summary.json.
run_host_suite() {
    local db=$1 t0 opts
    "$PGBIN/createdb" -T "$TEMPLATE_DB" tct_host_base
    [ ! -d "$WORK/data/filestore/$TEMPLATE_DB" ] ||
        cp -a "$WORK/data/filestore/$TEMPLATE_DB" "$WORK/data/filestore/tct_host_base"
    for target in tct_host_base:baseline "$db:addon"; do
        t0=$SECONDS
        log "host compatibility suite on ${target%%:*} (${target##*:})"
        mapfile -t opts < <(odoo_options "${target%%:*}")
        "$PYTHON" "$ROOT/tools/host_suite.py" run \
            --out "$WORK/host-${target##*:}.json" -- "${opts[@]}" --log-level=info \
            >"$WORK/host-${target##*:}.log" 2>&1 || log "host suite run ${target##*:} exited with $?"
        log "host suite ${target##*:}: $((SECONDS - t0)) s"
    done
    "$PYTHON" "$ROOT/tools/host_suite.py" compare --baseline "$WORK/host-baseline.json" \
        --addon "$WORK/host-addon.json" --out "$WORK/host-summary.json" || true
}

# run_lifecycle_checks DB: upgrade then uninstall the add-on on DB (the last use of DB);
# writes $WORK/lifecycle.json and the ERROR lines logged meanwhile to $WORK/lifecycle-errors.txt.
run_lifecycle_checks() {
    local db=$1 t0=$SECONDS opts
    mapfile -t opts < <(odoo_options "$db")
    log "lifecycle: prepare (scheduled actions, snapshot)"
    "$PYTHON" "$ROOT/tools/lifecycle_check.py" prepare --snapshot "$WORK/snapshot.json" \
        --results "$WORK/lifecycle.json" -- "${opts[@]}" --log-level=warn >"$WORK/lifecycle.log" 2>&1 || true
    log "lifecycle: -u $MODULE"
    if odoo_bin -d "$db" -u "$MODULE" --stop-after-init --http-port="$(free_port)" --workers=0 \
            --max-cron-threads=0 --log-level=warn >>"$WORK/lifecycle.log" 2>&1; then
        "$PYTHON" "$ROOT/tools/lifecycle_check.py" upgraded --snapshot "$WORK/snapshot.json" \
            --results "$WORK/lifecycle.json" -- "${opts[@]}" --log-level=warn >>"$WORK/lifecycle.log" 2>&1 || true
    else
        "$PYTHON" -c 'import json, sys, pathlib; p = pathlib.Path(sys.argv[1]); r = json.loads(p.read_text()) if p.exists() else []; r.append({"check": "upgrade: -u succeeds", "ok": False, "detail": "see lifecycle.log"}); p.write_text(json.dumps(r))' "$WORK/lifecycle.json"
    fi
    log "lifecycle: uninstall"
    "$PYTHON" "$ROOT/tools/lifecycle_check.py" uninstall --results "$WORK/lifecycle.json" \
        -- "${opts[@]}" --log-level=warn >>"$WORK/lifecycle.log" 2>&1 || true
    # Odoo logs the queries it tried and caught while removing data (a record still referenced,
    # say) as ERROR; they are reported, the checks above decide.
    grep -E "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$WORK/lifecycle.log" >"$WORK/lifecycle-errors.txt" || true
    log "lifecycle checks: $((SECONDS - t0)) s"
}
