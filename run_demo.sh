#!/usr/bin/env bash
# run_demo.sh - try the Order-to-Cash suite on this machine, without Docker.
#
# Usage: ./run_demo.sh [--reset] [--port N] [-h | --help]
#
# 1. Sets Odoo 18.0 up exactly as ./run_tests.sh does (tools/odoo_env.py: the
#    same cached virtual environment, from $OTC_ODOO_SOURCE);
# 2. creates the database `otc_demo` on the local PostgreSQL with demo data
#    and the three addons (a few minutes, once); run again, it reuses it;
#    --reset drops it (and its files) and starts over. A database whose
#    installation did not finish is never reused: it is created again;
# 3. starts Odoo on http://localhost:8069 (admin / admin) and prints the
#    address and the demo logins. Ctrl-C stops it.
#
# Environment (as run_tests.sh): OTC_ODOO_SOURCE, OTC_CACHE, OTC_PYTHON,
# OTC_DB_HOST (127.0.0.1; empty = socket), OTC_DB_PORT (5432), OTC_DB_USER
# (otc, created when missing), OTC_DB_PASSWORD; and
#   OTC_DEMO_DB     database name (default: otc_demo)
#   OTC_DEMO_PORT   HTTP port (default: 8069; --port wins)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO_DIR"

RESET=0
PORT="${OTC_DEMO_PORT:-8069}"
while [ $# -gt 0 ]; do
    case "$1" in
        --reset) RESET=1 ;;
        --port)
            PORT="${2:-}"
            shift
            ;;
        --port=*) PORT="${1#--port=}" ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "run_demo.sh: unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
    shift
done
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
    echo "run_demo.sh: --port must be a TCP port number, not '$PORT'" >&2
    exit 2
fi

BASE_PY="${OTC_BASE_PYTHON:-python3}"
DB_HOST="${OTC_DB_HOST-127.0.0.1}"
DB_PORT="${OTC_DB_PORT:-5432}"
DB_USER="${OTC_DB_USER:-otc}"
DB="${OTC_DEMO_DB:-otc_demo}"
# payment_demo: the portal's demo customers can try paying online
MODULES="otc_order_to_cash,otc_collections,otc_portal,payment_demo"
if [ -n "${OTC_DB_PASSWORD:-}" ]; then
    export PGPASSWORD="$OTC_DB_PASSWORD"
fi

die() {
    echo "run_demo.sh: $*" >&2
    exit 1
}

# 1. Odoo, as the tests have it
PY="$("$BASE_PY" "$REPO_DIR/tools/odoo_env.py" ensure | tail -n 1)" ||
    die "Odoo could not be set up (see the line above)"
STATE_DIR="$("$BASE_PY" "$REPO_DIR/tools/odoo_env.py" where)/demo"
DATA_DIR="$STATE_DIR/data"
CONF="$STATE_DIR/odoo.conf"
mkdir -p "$DATA_DIR"
# an empty configuration: a developer's ~/.odoorc must not leak in
printf '[options]\n' >"$CONF"

pg() {
    DB_HOST="$DB_HOST" DB_PORT="$DB_PORT" DB_USER="$DB_USER" \
        "$PY" "$REPO_DIR/tools/pg_helper.py" "$@"
}

# 2. the port first: failing after minutes of installation would be rude
"$PY" - "$PORT" <<'PYEOF' || die "port $PORT is already in use on this machine; stop what listens there or choose another with --port N (or OTC_DEMO_PORT)"
import socket
import sys

s = socket.socket()
try:
    s.bind(("0.0.0.0", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PYEOF

pg ensure-role >&2 || die "PostgreSQL is not usable (see the line above)"

odoo_cmd=("$PY" -m odoo --config="$CONF" --data-dir="$DATA_DIR"
    --addons-path="$("$PY" -c 'import os, odoo.addons
print(",".join(os.path.realpath(p) for p in odoo.addons.__path__))'),$REPO_DIR/addons"
    --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER"
    -d "$DB" --db-filter="^${DB}\$")

drop_demo() {
    pg drop "$DB" >/dev/null
    rm -rf "$DATA_DIR/filestore/$DB"
}

if [ "$RESET" = 1 ]; then
    echo "--reset: dropping database $DB"
    drop_demo
fi

rc=0
pg modules-installed "$DB" "$MODULES" || rc=$?
case "$rc" in
    0) echo "reusing database $DB (./run_demo.sh --reset starts over)" ;;
    3 | 4)
        if [ "$rc" = 4 ]; then
            echo "database $DB is incomplete (an earlier installation did not finish): creating it again"
            drop_demo
        fi
        echo "creating database $DB with demo data and $MODULES (a few minutes, once) ..."
        log="$STATE_DIR/install.log"
        if ! "${odoo_cmd[@]}" -i "$MODULES" --without-demo= --stop-after-init \
            --http-port="$PORT" --log-level=warn >"$log" 2>&1; then
            tail -n 20 "$log" >&2
            drop_demo
            die "the installation failed (log above, whole log in $log); nothing was kept"
        fi
        pg modules-installed "$DB" "$MODULES" || {
            drop_demo
            die "the installation did not install $MODULES (log: $log); nothing was kept"
        }
        ;;
    *) die "PostgreSQL is not usable (see the line above)" ;;
esac

cat <<EOF

  Order to Cash demo: http://localhost:$PORT   (database $DB)

  Logins (password = login unless stated):
    admin            / admin          administrator, AR Manager
    credit.manager   / credit.manager Carla Credit, Credit Manager (approvals, holds)
    ar.clerk         / ar.clerk       Alex Clerk, AR Clerk (cash application)
    collector        / collector      Colin Collector, Collector (worklist, dunning)
    demo             / demo           Marc Demo, salesperson (Odoo's demo user)
  Portal customers (http://localhost:$PORT/my):
    lakeside.portal  / lakeside.portal   Laura Lake, Lakeside Foods (overdue, dispute, promise)
    pinecrest.portal / pinecrest.portal  Paul Pine, Pinecrest Hotels (order under credit review)

  Ctrl-C stops Odoo; ./run_demo.sh again reuses the database, --reset starts over.

EOF
exec "${odoo_cmd[@]}" --http-port="$PORT" --workers=0 --max-cron-threads=1
