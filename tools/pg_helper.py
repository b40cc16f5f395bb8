#!/usr/bin/env python3
"""PostgreSQL chores of run_tests.sh and run_demo.sh, without needing psql.

Run with the Odoo environment's Python (it has psycopg2)::

    pg_helper.py ensure-role          # make sure $DB_USER can connect
    pg_helper.py drop DB [DB ...]     # drop databases (FORCE)
    pg_helper.py modules-installed DB MOD[,MOD...]
                                      # exit 0 when DB exists with all of
                                      # MOD installed, 3 when DB does not
                                      # exist, 4 when it is incomplete

Connection: DB_HOST (empty = socket), DB_PORT, DB_USER, and PGPASSWORD.
Problems are printed as one line on stderr, exit code 1.
"""

import os
import sys

import psycopg2
from psycopg2 import sql


def where():
    return f"{os.environ.get('DB_HOST') or '<socket>'}:{os.environ['DB_PORT']}"


def connect(user, dbname="postgres"):
    kwargs = {"dbname": dbname, "user": user, "port": os.environ["DB_PORT"]}
    if os.environ.get("DB_HOST"):
        kwargs["host"] = os.environ["DB_HOST"]
    conn = psycopg2.connect(connect_timeout=10, **kwargs)
    conn.autocommit = True
    return conn


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def ensure_role(user):
    try:
        connect(user).close()
        return
    except psycopg2.OperationalError as exc:
        first_error = str(exc).strip().splitlines()[0]
    try:
        conn = connect("postgres")
    except psycopg2.OperationalError as exc:
        second = str(exc).strip().splitlines()[0]
        fail(
            f"PostgreSQL at {where()} cannot be reached as {user!r} ({first_error}) "
            f"nor as 'postgres' to create that role ({second}); start PostgreSQL "
            "or set OTC_DB_HOST, OTC_DB_PORT, OTC_DB_USER, OTC_DB_PASSWORD"
        )
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user])
        if cr.fetchone():
            fail(
                f"PostgreSQL role {user!r} exists at {where()} but cannot connect: "
                f"{first_error} (set OTC_DB_PASSWORD, or OTC_DB_USER to another role)"
            )
        # A throwaway local role. SUPERUSER (not only CREATEDB) because Odoo
        # may need to create extensions (pg_trgm, unaccent) and alter the
        # unaccent function, which a non-superuser owner cannot do.
        query = sql.SQL("CREATE ROLE {} LOGIN CREATEDB SUPERUSER").format(
            sql.Identifier(user)
        )
        if os.environ.get("PGPASSWORD"):
            query += sql.SQL(" PASSWORD {}").format(
                sql.Literal(os.environ["PGPASSWORD"])
            )
        cr.execute(query)
    print(f"created PostgreSQL role {user!r} (LOGIN CREATEDB SUPERUSER)")


def drop(user, databases):
    conn = connect(user)
    with conn.cursor() as cr:
        for db in databases:
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(db)
                )
            )
            print(f"dropped database {db}")


def modules_installed(user, db, modules):
    conn = connect(user)
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
        if not cr.fetchone():
            sys.exit(3)
    try:
        conn = connect(user, db)
        with conn.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM ir_module_module "
                "WHERE name = ANY(%s) AND state = 'installed'",
                [modules],
            )
            (count,) = cr.fetchone()
    except psycopg2.Error:
        sys.exit(4)
    sys.exit(0 if count == len(modules) else 4)


def main(argv):
    action, args = argv[1], argv[2:]
    user = os.environ["DB_USER"]
    try:
        if action == "ensure-role":
            ensure_role(user)
        elif action == "drop":
            drop(user, args)
        elif action == "modules-installed":
            modules_installed(user, args[0], args[1].split(","))
        else:
            fail(f"pg_helper.py: unknown action {action!r}")
    except psycopg2.OperationalError as exc:
        fail(f"PostgreSQL at {where()}: {str(exc).strip().splitlines()[0]}")


if __name__ == "__main__":
    main(sys.argv)
