#!/usr/bin/env bash
# run_tests.sh - the single test command of the Order-to-Cash suite.
#
# Usage: ./run_tests.sh [--python-only | --odoo-only] [-h | --help]
#
# Setup (seconds when already done, a few minutes the first time)
#   `tools/odoo_env.py ensure` brings Odoo 18.0 Community in: from
#   $OTC_ODOO_SOURCE (a directory, a .tar.gz or a URL of Odoo's source; by
#   default ../shared/odoo/odoo-18.0-20250925-otc.tar.gz when it exists beside
#   the repository, else Odoo's official 18.0 nightly source release), into a
#   virtual environment in $OTC_CACHE (default ~/.cache/otc) keyed by the
#   source's checksum, the Python version and requirements.txt. A fresh clone
#   on the same machine reuses it. Nothing of Odoo enters the repository.
#   With OTC_PYTHON set, that interpreter is used as it is (it must import
#   Odoo 18.0).
#
# Stages
#   1. Plain-Python tests: `$PY -m pytest tests -q` (no Odoo, no database).
#      pytest's exit code 5 ("no tests collected") counts as a failure.
#   2. Odoo tests:
#      a. a fresh database WITH demo data: install $OTC_MODULES and run their
#         tests, and only theirs (--test-tags /mod1,/mod2,...), browser tours
#         included (Chromium, headless);
#      b. a fresh database WITHOUT demo data and without tests, to prove that
#         the addons install cleanly on an empty database.
#      A database stage fails when Odoo exits non-zero, when its log has any
#      line of level ERROR or CRITICAL (printed at the end), when Odoo's test
#      result line reports failures or errors, or (a only) when no test ran.
#   When Odoo cannot be set up, the Odoo stage is skipped with a banner saying
#   why; with CI=true that is a failure, and so is any skipped Odoo test
#   (a tour without a browser, for instance): CI never passes on skipped tests.
#   The last line printed is `total: N passed, M failed, K skipped` (pytest
#   and Odoo counts added up; a stage that failed without a failing test,
#   e.g. a broken install, counts as one failure).
#   Both databases (and the temporary Odoo data dir) are dropped on exit.
#
# Environment
#   OTC_ODOO_SOURCE     where Odoo's source comes from (see Setup)
#   OTC_CACHE           cache directory of the Odoo environments
#   OTC_PYTHON          an interpreter that already imports Odoo 18.0 (no setup)
#   OTC_BASE_PYTHON     the Python the environment is created with (python3)
#   OTC_DB_HOST         PostgreSQL host (default: 127.0.0.1; empty = socket)
#   OTC_DB_PORT         PostgreSQL port (default: 5432)
#   OTC_DB_USER         PostgreSQL role (default: otc; Odoo refuses `postgres`).
#                       When the role cannot connect and the server can be
#                       reached as `postgres` (trust auth), it is created.
#   OTC_DB_PASSWORD     password of that role (passed as PGPASSWORD)
#   OTC_KEEP_DB=1       keep the test databases and the data dir
#   OTC_TEST_TAGS       extra --test-tags specs appended to the default
#                       `/mod1,/mod2,...` (an include spec widens the run,
#                       `-spec` excludes, e.g. OTC_TEST_TAGS=-slow)
#   OTC_TEST_TAGS_ONLY  replaces the default spec entirely
#                       (e.g. /otc_order_to_cash:TestCreditEngine)
#   OTC_MODULES         modules to install and test
#                       (default: otc_order_to_cash,otc_collections,otc_portal)
#   OTC_TEST_MODULES    Odoo modules installed beside them in the test
#                       database only, not tested (default:
#                       payment_demo,sale_stock: the demo payment provider
#                       the portal's payment tests and tours pay with, as
#                       Odoo's own payment tests do, and deliveries, which
#                       Odoo users must still validate with the suite in)
#   OTC_ADDONS          extra addons directories (comma-separated) appended
#                       after <repo>/addons, e.g. for a throwaway test addon
#   OTC_LOG_DIR         where logs and pytest's junit XML go
#                       (default: <repo>/.test-logs)
#   OTC_ODOO_ARGS       extra arguments for both Odoo runs (word-split)
#   CI=true             a stage that cannot run, or a skipped test, fails
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO_DIR"

RUN_PYTHON=1
RUN_ODOO=1
while [ $# -gt 0 ]; do
    case "$1" in
        --python-only) RUN_ODOO=0 ;;
        --odoo-only) RUN_PYTHON=0 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "run_tests.sh: unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
    shift
done
if [ "$RUN_PYTHON" = 0 ] && [ "$RUN_ODOO" = 0 ]; then
    echo "run_tests.sh: --python-only and --odoo-only exclude each other" >&2
    exit 2
fi

BASE_PY="${OTC_BASE_PYTHON:-python3}"
IN_CI=0
case "${CI:-}" in true | TRUE | True | 1 | yes) IN_CI=1 ;; esac
PY=""               # the interpreter that runs Odoo, once set up
ODOO_SETUP_ERROR="" # why it could not be, in one line
DB_HOST="${OTC_DB_HOST-127.0.0.1}"
DB_PORT="${OTC_DB_PORT:-5432}"
DB_USER="${OTC_DB_USER:-otc}"
MODULES="${OTC_MODULES:-otc_order_to_cash,otc_collections,otc_portal}"
TEST_MODULES="${OTC_TEST_MODULES-payment_demo,sale_stock}"
LOG_DIR="${OTC_LOG_DIR:-$REPO_DIR/.test-logs}"
KEEP_DB="${OTC_KEEP_DB:-0}"
if [ -n "${OTC_DB_PASSWORD:-}" ]; then
    export PGPASSWORD="$OTC_DB_PASSWORD"
fi
mkdir -p "$LOG_DIR"

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
OVERALL_RC=0
FAILED_STAGES=()

DBS_CREATED=()
TMP_DIR=""

banner() {
    printf '\n==== %s ====\n' "$*"
}

stage_failed() { # stage_failed NAME COUNTED_FAILURES
    OVERALL_RC=1
    FAILED_STAGES+=("$1")
    # a failing stage with no failing test in it still counts as one failure
    if [ "$2" -eq 0 ]; then
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
    fi
}

# Bring Odoo in (tools/odoo_env.py): sets PY, or ODOO_SETUP_ERROR.
setup_odoo() {
    banner "setup: Odoo 18.0 environment (tools/odoo_env.py)"
    local out err_file
    err_file="$(mktemp)"
    if out="$("$BASE_PY" "$REPO_DIR/tools/odoo_env.py" ensure 2> >(tee "$err_file" >&2))"; then
        PY="$(tail -n 1 <<<"$out")"
        echo "Odoo runs with $PY"
    else
        sleep 0.2 # let tee flush
        ODOO_SETUP_ERROR="$(grep '^odoo_env: ' "$err_file" | tail -n 1 | sed 's/^odoo_env: //')"
        ODOO_SETUP_ERROR="${ODOO_SETUP_ERROR:-tools/odoo_env.py failed}"
    fi
    rm -f "$err_file"
}

# PostgreSQL chores (tools/pg_helper.py, run with Odoo's Python for psycopg2).
# Usage: pg_helper ensure-role | drop DB...
pg_helper() {
    DB_HOST="$DB_HOST" DB_PORT="$DB_PORT" DB_USER="$DB_USER" \
        "$PY" "$REPO_DIR/tools/pg_helper.py" "$@"
}

# Drop the test databases and the data dir (unless OTC_KEEP_DB=1). Called
# before the summary, and from the EXIT trap when the run is interrupted.
cleanup_dbs() {
    if [ "${#DBS_CREATED[@]}" -gt 0 ]; then
        if [ "$KEEP_DB" = 1 ]; then
            echo "OTC_KEEP_DB=1: keeping databases ${DBS_CREATED[*]} (data dir $TMP_DIR)"
        else
            pg_helper drop "${DBS_CREATED[@]}" ||
                echo "warning: could not drop ${DBS_CREATED[*]}" >&2
        fi
    fi
    if [ -n "$TMP_DIR" ] && [ "$KEEP_DB" != 1 ]; then
        rm -rf "$TMP_DIR"
    fi
    DBS_CREATED=()
    TMP_DIR=""
}
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
    local rc=$?
    cleanup_dbs
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- pytest
run_pytest() {
    # The Odoo environment has pytest and pytest-odoo; without it, the base
    # Python runs the plain tests, with pytest-odoo's plugin (which imports
    # odoo when it loads) blocked.
    local py="${PY:-$BASE_PY}" extra=()
    if [ -z "$PY" ]; then extra=(-p no:odoo); fi
    banner "plain-Python tests: $py -m pytest tests -q ${extra[*]}"
    local junit="$LOG_DIR/pytest-junit.xml" rc=0 counts
    rm -f "$junit"
    "$py" -m pytest tests -q "${extra[@]}" --junitxml="$junit" || rc=$?
    if [ -f "$junit" ]; then
        counts="$("$py" - "$junit" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
tests = failures = errors = skipped = 0
for suite in suites:
    tests += int(suite.get("tests", 0))
    failures += int(suite.get("failures", 0))
    errors += int(suite.get("errors", 0))
    skipped += int(suite.get("skipped", 0))
print(tests - failures - errors - skipped, failures + errors, skipped)
PYEOF
)"
    else
        counts="0 0 0"
    fi
    local passed failed skipped
    read -r passed failed skipped <<<"$counts"
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
    if [ "$rc" -eq 5 ]; then
        echo "FAILED: pytest collected no tests"
        stage_failed "pytest (no tests collected)" "$failed"
    elif [ "$rc" -ne 0 ]; then
        echo "FAILED: pytest exited with $rc"
        stage_failed "pytest" "$failed"
    fi
}

# ---------------------------------------------------------------- Odoo
free_port() {
    "$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Lines of level ERROR or CRITICAL in an Odoo log
# (format: `date time pid LEVEL db logger: message`).
odoo_error_lines() {
    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,.]+ [0-9]+ (ERROR|CRITICAL) ' "$1" || true
}

# run_odoo NAME DB LOG WITH_TESTS(0/1) extra odoo args...
# sets ODOO_RUN ODOO_FAILED ODOO_SKIPPED ODOO_RC ODOO_ERRORS_FOUND
run_odoo() {
    local name="$1" db="$2" log="$3" with_tests="$4"
    shift 4
    local port
    port="$(free_port)"
    local cmd=("$PY" -m odoo
        --config="$TMP_DIR/odoo.conf"
        --data-dir="$TMP_DIR/data"
        --addons-path="$ADDONS_PATH"
        --db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER"
        -d "$db" -i "${INSTALL_MODULES:-$MODULES}"
        --http-port="$port" --max-cron-threads=0 --workers=0
        --stop-after-init --log-level=test
        "$@")
    if [ -n "${OTC_ODOO_ARGS:-}" ]; then
        # shellcheck disable=SC2206  # word-splitting is intended
        cmd+=(${OTC_ODOO_ARGS})
    fi
    banner "$name"
    echo "+ ${cmd[*]}"
    echo "  (log: $log)"
    DBS_CREATED+=("$db")
    ODOO_RC=0
    "${cmd[@]}" 2>&1 | tee "$log" || ODOO_RC=$?

    local stage_bad=0 errors
    ODOO_RUN=0 ODOO_FAILED=0 ODOO_SKIPPED=0
    if [ "$ODOO_RC" -ne 0 ]; then
        echo "FAILED ($name): Odoo exited with code $ODOO_RC"
        stage_bad=1
    fi
    errors="$(odoo_error_lines "$log")"
    if [ -n "$errors" ]; then
        echo "FAILED ($name): ERROR/CRITICAL lines in $log:"
        printf '%s\n' "$errors" | head -n 200 | sed 's/^/  | /'
        stage_bad=1
    fi
    if [ "$with_tests" = 1 ]; then
        # e.g. `... INFO db odoo.tests.result: 0 failed, 0 error(s) of 12 tests
        #       when loading database 'db'` (odoo/service/server.py)
        local result
        result="$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$log" | tail -n 1 || true)"
        if [ -z "$result" ]; then
            echo "FAILED ($name): no Odoo test result line in the log"
            stage_bad=1
        else
            local f e r
            read -r f e r < <(sed -E 's/.*odoo\.tests\.result: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$result")
            ODOO_RUN="$r"
            ODOO_FAILED=$((f + e))
            # skipped tests are logged as `... INFO db <test module>: skipped <test> : <reason>`
            ODOO_SKIPPED="$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,.]+ [0-9]+ INFO [^ ]+ [^ ]+: skipped ' "$log" || true)"
            echo "Odoo tests: $r run, $f failed, $e error(s), $ODOO_SKIPPED skipped"
            if [ "$IN_CI" = 1 ] && [ "$ODOO_SKIPPED" -ne 0 ]; then
                echo "FAILED ($name): CI=true and $ODOO_SKIPPED test(s) were skipped:"
                grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,.]+ [0-9]+ INFO [^ ]+ [^ ]+: skipped ' "$log" |
                    head -n 20 | sed 's/^/  | /'
                stage_bad=1
            fi
            if [ "$ODOO_FAILED" -ne 0 ]; then
                echo "FAILED ($name): $f test failure(s), $e test error(s)"
                stage_bad=1
            fi
            if [ "$r" -eq 0 ]; then
                echo "FAILED ($name): zero Odoo tests ran (test tags: $TEST_TAGS)"
                stage_bad=1
            fi
        fi
    fi
    local passed=$((ODOO_RUN - ODOO_FAILED - ODOO_SKIPPED))
    if [ "$passed" -lt 0 ]; then passed=0; fi
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + ODOO_FAILED))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + ODOO_SKIPPED))
    if [ "$stage_bad" = 1 ]; then
        stage_failed "$name" "$ODOO_FAILED"
    fi
}

run_odoo_tests() {
    if [ -z "$PY" ]; then
        if [ "$IN_CI" = 1 ]; then
            banner "FAILED: Odoo-level tests cannot run: $ODOO_SETUP_ERROR"
            stage_failed "Odoo environment ($ODOO_SETUP_ERROR)" 0
        else
            banner "SKIPPED: Odoo-level tests ($ODOO_SETUP_ERROR)"
        fi
        return 0
    fi

    # Odoo's own addons directories, from the interpreter (never copied here)
    local odoo_addons
    odoo_addons="$("$PY" -c 'import os, odoo, odoo.addons
paths = [os.path.realpath(p) for p in odoo.addons.__path__]
# a source checkout keeps most addons in <checkout>/addons
extra = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons")
if os.path.isdir(os.path.join(extra, "web")) and os.path.realpath(extra) not in paths:
    paths.append(os.path.realpath(extra))
print(",".join(paths))')"
    ADDONS_PATH="$odoo_addons,$REPO_DIR/addons"
    if [ -n "${OTC_ADDONS:-}" ]; then
        ADDONS_PATH="$ADDONS_PATH,$OTC_ADDONS"
    fi

    if [ -n "${OTC_TEST_TAGS_ONLY:-}" ]; then
        TEST_TAGS="$OTC_TEST_TAGS_ONLY"
    else
        TEST_TAGS="$(printf '%s' "$MODULES" | sed -E 's/ //g; s/(^|,)/\1\//g')"
        if [ -n "${OTC_TEST_TAGS:-}" ]; then
            TEST_TAGS="$TEST_TAGS,$OTC_TEST_TAGS"
        fi
    fi

    local role_msg
    if ! role_msg="$(pg_helper ensure-role 2>&1)"; then
        banner "FAILED: $role_msg"
        stage_failed "PostgreSQL" 0
        return 0
    fi
    if [ -n "$role_msg" ]; then echo "$role_msg"; fi

    TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/otc_tests.XXXXXX")"
    # an empty config file: a developer's ~/.odoorc must not leak into tests
    printf '[options]\n' >"$TMP_DIR/odoo.conf"
    local base stamp
    stamp="$$_$(date +%s)"
    base="otc_test_${stamp}"

    INSTALL_MODULES="$MODULES${TEST_MODULES:+,$TEST_MODULES}" \
        run_odoo "Odoo: install $MODULES with demo data + tests" \
        "${base}_demo" "$LOG_DIR/odoo-demo-tests.log" 1 \
        --without-demo= --test-enable --test-tags="$TEST_TAGS"

    run_odoo "Odoo: clean install of $MODULES without demo data" \
        "${base}_nodemo" "$LOG_DIR/odoo-nodemo-install.log" 0 \
        --without-demo=all
}

setup_odoo
if [ "$RUN_PYTHON" = 1 ]; then
    run_pytest
fi
if [ "$RUN_ODOO" = 1 ]; then
    run_odoo_tests
    cleanup_dbs
fi

banner "summary"
if [ "${#FAILED_STAGES[@]}" -gt 0 ]; then
    for s in "${FAILED_STAGES[@]}"; do
        echo "FAILED stage: $s"
    done
else
    echo "all stages passed"
fi
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
exit "$OVERALL_RC"
