"""Benchmark of the credit management of ``otc_order_to_cash`` on a realistic data volume.

This is a benchmark script, not a unit test: it builds (or reuses) a dedicated database, fills it with
a realistic volume of receivables and open sale orders, and measures how much the credit check costs.

Data set (generated once, kept for ``--reuse``):

* ``--customers`` (1,000) company customers, one in ten with two child contacts;
* ``--invoices`` (20,000) posted customer invoices spread over them, invoice dates over the last
  12 months, due 30 days later (so most open invoices are overdue), about 80 % open and 20 % paid
  (older invoices are more likely paid);
* ``--orders`` (2,000) confirmed sale orders (1 to 5 lines, products invoiced on order) not yet invoiced;
* one extra customer "Big Customer" with ``--big-invoices`` (10,000) open posted invoices.

Two invoices are created and posted through the ORM; their ``account_move`` / ``account_move_line``
rows are then mirrored with bulk SQL (one product line and one receivable line per invoice, no taxes)
so that the bulk rows hold exactly what the ORM stores, only with other partners, dates, amounts and
names (``INV/BENCH/000001``...). Paid invoices are stored with a zero residual and reconciled receivable
line, without payment entries. Chatter messages and followers are not generated for bulk invoices.
Sale orders go through the ORM (``create`` then ``action_confirm`` with ``otc_skip_credit_check``).

Measurements (median, p95 and min over ``--runs`` runs, after a few warm-up runs; all in one
transaction rolled back at the end, so the data set is left untouched):

a. the extra time the credit check adds to ``sale.order.action_confirm()`` for a fresh 2-line quotation
   of a random customer (with the check vs. with ``otc_skip_credit_check=True``, alternating, on two
   identical quotations of the same customer, caches invalidated and ``flush_all()`` inside the timed
   region), and the check alone (``_otc_credit_evaluate()``); run as a Credit Manager (who may skip
   the check) with a high limit and overdue allowance so that the check computes everything and passes;
b. the same for "Big Customer" (10,000 open invoices);
c. loading the Credit Control list (``otc.credit.control``) for all customers with ``web_search_read``
   and the fields of its list view, as a credit manager (all rows, and the first page of 80 with count).

Results are printed as a markdown table and written to ``benchmarks/results_credit.md``; with
``--explain``, the queries taking most time in each measure and their ``EXPLAIN ANALYZE`` plans go to
``benchmarks/results_credit_queries.md`` (recording them costs a little time inside the timed region).
Timings are wall-clock on a shared machine: run it on an otherwise idle machine for figures to publish.

Usage (PostgreSQL reachable with the ``odoo`` role, Odoo importable by ``python3``)::

    python3 benchmarks/bench_credit.py                  # create otc_bench_credit, generate, measure
    python3 benchmarks/bench_credit.py --reuse          # reuse the database and its data set
    python3 benchmarks/bench_credit.py --drop           # drop and rebuild the database first
    python3 benchmarks/bench_credit.py --reuse --runs 20 --explain   # + EXPLAIN ANALYZE of slowest queries

    Options: --db NAME --runs 50 --customers 1000 --invoices 20000 --orders 2000 --big-invoices 10000
             --db-user odoo (or $OTC_DB_USER) --db-host 127.0.0.1 --db-port 5432
             --modules otc_order_to_cash (e.g. ``sale_management,account`` to test the generator alone)
"""

import argparse
import datetime
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import psycopg2
from lxml import etree
from psycopg2 import sql
from psycopg2.extras import execute_values

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

REPO = Path(__file__).resolve().parent.parent
RESULTS_FILE = Path(__file__).resolve().parent / "results_credit.md"
DATASET_PARAM = "otc_bench_credit.dataset"
BENCH_PREFIX = "INV/BENCH/"
SKIP_CTX = {"otc_skip_credit_check": True}
WARMUP = 3
TARGET_CHECK_MS = 2.0
TARGET_LIST_MS = 1000.0


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------------
# Set-up: configuration, database, modules
# --------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--db", default="otc_bench_credit", help="database name (default: %(default)s)"
    )
    p.add_argument(
        "--reuse",
        action="store_true",
        help="reuse an existing database and its generated data set",
    )
    p.add_argument("--drop", action="store_true", help="drop the database first")
    p.add_argument(
        "--runs",
        type=int,
        default=50,
        help="measured runs per figure (default: %(default)s)",
    )
    p.add_argument("--customers", type=int, default=1000)
    p.add_argument("--invoices", type=int, default=20000)
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--big-invoices", type=int, default=10000)
    p.add_argument("--db-user", default=os.environ.get("OTC_DB_USER") or "odoo")
    p.add_argument("--db-host", default=os.environ.get("OTC_DB_HOST") or "127.0.0.1")
    p.add_argument("--db-port", default=os.environ.get("OTC_DB_PORT") or "5432")
    p.add_argument("--db-password", default=os.environ.get("OTC_DB_PASSWORD") or "")
    p.add_argument(
        "--modules",
        default="otc_order_to_cash",
        help="comma-separated modules to install",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE the slowest queries of each measure",
    )
    p.add_argument(
        "--log-level", default="warn", help="Odoo log level (default: %(default)s)"
    )
    p.add_argument(
        "--log-sql", action="store_true", help="log every SQL query (Odoo --log-sql)"
    )
    p.add_argument(
        "--output",
        default=str(RESULTS_FILE),
        help="markdown results file (default: %(default)s)",
    )
    p.add_argument(
        "--no-measure", action="store_true", help="only build the database and data set"
    )
    return p.parse_args(argv)


def odoo_addons_paths():
    """Odoo's own addons folders (source checkout layouts differ), then the repository's."""
    root = Path(odoo.__file__).resolve().parent
    paths = []
    for cand in (root / "addons", root.parent / "addons"):
        if (cand / "sale_management" / "__manifest__.py").exists() or (
            cand / "base"
        ).exists():
            paths.append(str(cand))
    repo_addons = REPO / "addons"
    if repo_addons.is_dir():
        paths.append(str(repo_addons))
    return paths


def setup_odoo_config(args):
    opts = [
        "--addons-path=" + ",".join(odoo_addons_paths()),
        f"--db_host={args.db_host}",
        f"--db_port={args.db_port}",
        f"--db_user={args.db_user}",
        "--without-demo=all",
        f"--log-level={args.log_level}",
        "--max-cron-threads=0",
    ]
    if args.db_password:
        opts.append(f"--db_password={args.db_password}")
    if args.log_sql:
        opts.append("--log-sql")
    config.parse_config(opts, setup_logging=True)


def pg_connect(args, dbname="postgres"):
    cnx = psycopg2.connect(
        dbname=dbname,
        user=args.db_user,
        host=args.db_host,
        port=args.db_port,
        password=args.db_password or None,
    )
    cnx.autocommit = True
    return cnx


def db_exists(args, name):
    with pg_connect(args) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


def drop_db(args, name):
    odoo.sql_db.close_db(name)
    cnx = pg_connect(args)
    try:
        with cnx.cursor() as cr:
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
    finally:
        cnx.close()


def installed_modules(args, name, modules):
    cnx = pg_connect(args, name)
    try:
        with cnx.cursor() as cr:
            cr.execute("SELECT to_regclass('ir_module_module')")
            if not cr.fetchone()[0]:
                return set()
            cr.execute(
                "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)",
                [modules],
            )
            return {r[0] for r in cr.fetchall()}
    finally:
        cnx.close()


def open_registry(args, modules):
    """Create/reuse the database, install ``modules`` (no demo data) and return the registry."""
    name = args.db
    if args.drop and db_exists(args, name):
        log(f"dropping database {name}")
        drop_db(args, name)
    exists = db_exists(args, name)
    if exists and not args.reuse:
        sys.exit(
            f"database {name!r} exists: pass --reuse to use it or --drop to rebuild it"
        )
    if not exists:
        log(f"creating database {name}")
        odoo.service.db._create_empty_database(name)
    missing = [m for m in modules if m not in installed_modules(args, name, modules)]
    t0 = time.perf_counter()
    if missing:
        log(
            f"installing {', '.join(missing)} (without demo data), this takes a minute or two"
        )
        config["init"] = dict.fromkeys(missing, 1)
        config["demo"] = {}
        try:
            registry = Registry.new(name, update_module=True)
        finally:
            config["init"] = {}
        log(f"installed in {time.perf_counter() - t0:.1f} s")
    else:
        registry = Registry(name)
    still_missing = [
        m for m in modules if m not in installed_modules(args, name, modules)
    ]
    if still_missing:
        sys.exit(
            f"modules not installed: {', '.join(still_missing)} (see the log above)"
        )
    return registry


def ensure_chart_of_accounts(env):
    company = env.company
    receivable = env["account.account"].search(
        [
            *env["account.account"]._check_company_domain(company),
            ("account_type", "=", "asset_receivable"),
        ],
        limit=1,
    )
    if not receivable:
        log("company has no chart of accounts: loading generic_coa")
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
        env.flush_all()


# --------------------------------------------------------------------------------------------------
# Data generation
# --------------------------------------------------------------------------------------------------

# account_move columns whose value depends on the invoice (all others are copied from the template move)
MOVE_OVERRIDES = {
    "name": "b.name",
    "sequence_prefix": "%(prefix)s",
    "sequence_number": "b.seq",
    "date": "b.inv_date",
    "invoice_date": "b.inv_date",
    "invoice_date_due": "b.inv_date + 30",
    "partner_id": "b.partner_id",
    "commercial_partner_id": "b.commercial_id",
    "partner_shipping_id": "b.partner_id",
    "invoice_partner_display_name": "b.display_name",
    "payment_reference": "b.name",
    "payment_state": "CASE WHEN b.paid THEN 'paid' ELSE 'not_paid' END",
    "amount_untaxed": "b.amount",
    "amount_untaxed_signed": "b.amount",
    "amount_untaxed_in_currency_signed": "b.amount",
    "amount_tax": "0.0",
    "amount_tax_signed": "0.0",
    "amount_total": "b.amount",
    "amount_total_signed": "b.amount",
    "amount_total_in_currency_signed": "b.amount",
    "amount_residual": "CASE WHEN b.paid THEN 0.0 ELSE b.amount END",
    "amount_residual_signed": "CASE WHEN b.paid THEN 0.0 ELSE b.amount END",
    "access_token": "NULL",
    "inalterable_hash": "NULL",
    "secure_sequence_number": "NULL",
    "message_main_attachment_id": "NULL",
    "create_date": "now() AT TIME ZONE 'UTC'",
    "write_date": "now() AT TIME ZONE 'UTC'",
}
# account_move_line columns common to both lines of an invoice
LINE_OVERRIDES = {
    "move_id": "m.id",
    "move_name": "b.name",
    "partner_id": "b.commercial_id",
    "date": "b.inv_date",
    "invoice_date": "b.inv_date",
    "matching_number": "NULL",
    "full_reconcile_id": "NULL",
    "create_date": "now() AT TIME ZONE 'UTC'",
    "write_date": "now() AT TIME ZONE 'UTC'",
}
PRODUCT_LINE_OVERRIDES = {
    **LINE_OVERRIDES,
    "balance": "-b.amount",
    "amount_currency": "-b.amount",
    "debit": "0.0",
    "credit": "b.amount",
    "price_unit": "b.amount",
    "price_subtotal": "b.amount",
    "price_total": "b.amount",
    "quantity": "1.0",
    "amount_residual": "0.0",
    "amount_residual_currency": "0.0",
    "reconciled": "false",
    "date_maturity": "NULL",
}
RECEIVABLE_LINE_OVERRIDES = {
    **LINE_OVERRIDES,
    "name": "b.name",
    "balance": "b.amount",
    "amount_currency": "b.amount",
    "debit": "b.amount",
    "credit": "0.0",
    "amount_residual": "CASE WHEN b.paid THEN 0.0 ELSE b.amount END",
    "amount_residual_currency": "CASE WHEN b.paid THEN 0.0 ELSE b.amount END",
    "reconciled": "b.paid",
    "date_maturity": "b.inv_date + 30",
}


def table_columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cr.fetchall() if r[0] != "id"]


def check_template_overrides(cr, table, ids, overrides, ignore=()):
    """Warn about columns that differ between two ORM templates but would be copied verbatim."""
    cr.execute(f"SELECT * FROM {table} WHERE id = ANY(%s) ORDER BY id", [list(ids)])
    rows = cr.dictfetchall()
    odd = [
        col
        for col in rows[0]
        if col not in ("id", *ignore)
        and col not in overrides
        and rows[0][col] != rows[1][col]
    ]
    if odd:
        log(
            f"WARNING: {table} columns differ between the two ORM templates but are copied verbatim: {odd}"
        )
    return odd


def make_template_invoices(env, partners, product, term):
    """Create and post two 1-line invoices without taxes with the ORM (the templates of the bulk rows)."""
    today = datetime.date.today()
    vals = []
    for i, partner in enumerate(partners):
        date = today - datetime.timedelta(days=40 + 100 * i)
        v = {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "quantity": 1,
                        "price_unit": 100.0 + 77.7 * i,
                        "tax_ids": [(5,)],
                    },
                )
            ],
        }
        if term:
            v["invoice_payment_term_id"] = term.id
        else:
            v["invoice_date_due"] = date + datetime.timedelta(days=30)
        vals.append(v)
    moves = env["account.move"].create(vals)
    moves.action_post()
    env.flush_all()
    for move in moves:
        kinds = sorted(move.line_ids.mapped("display_type"))
        if kinds != ["payment_term", "product"]:
            raise RuntimeError(
                f"unexpected template invoice lines {kinds} (taxes on the product?)"
            )
        if (move.invoice_date_due - move.invoice_date).days != 30:
            raise RuntimeError("template invoice is not due 30 days after its date")
    return moves


def bulk_invoices(env, tmpl_moves, rows):
    """Insert one posted invoice per row of ``rows`` by mirroring the template invoices' SQL rows.

    ``rows``: list of (seq, partner_id, commercial_id, display_name, inv_date, amount, paid).
    """
    cr = env.cr
    tmpl = tmpl_moves[0]
    tmpl_product = tmpl.line_ids.filtered(lambda line: line.display_type == "product")
    tmpl_receivable = tmpl.line_ids.filtered(
        lambda line: line.display_type == "payment_term"
    )

    move_cols = table_columns(cr, "account_move")
    line_cols = table_columns(cr, "account_move_line")
    check_template_overrides(cr, "account_move", tmpl_moves.ids, MOVE_OVERRIDES)
    for kind, overrides in (
        ("product", PRODUCT_LINE_OVERRIDES),
        ("payment_term", RECEIVABLE_LINE_OVERRIDES),
    ):
        lines = tmpl_moves.line_ids.filtered(
            lambda line, k=kind: line.display_type == k
        )
        check_template_overrides(
            cr, "account_move_line", lines.ids, overrides, ignore=("move_id",)
        )

    cr.execute(
        "CREATE TEMP TABLE bench_inv (seq int, partner_id int, commercial_id int, display_name varchar, "
        "inv_date date, amount numeric, paid boolean, name varchar) ON COMMIT DROP"
    )
    execute_values(
        cr._obj,
        "INSERT INTO bench_inv (seq, partner_id, commercial_id, display_name, inv_date, amount, paid) VALUES %s",
        rows,
        page_size=5000,
    )
    cr.execute(
        "UPDATE bench_inv SET name = %s || lpad(seq::text, 6, '0')", [BENCH_PREFIX]
    )

    def select_list(cols, overrides, alias):
        return ", ".join(overrides.get(c, f'{alias}."{c}"') for c in cols)

    quoted = ", ".join(f'"{c}"' for c in move_cols)
    query = (
        f"INSERT INTO account_move ({quoted}) "
        f"SELECT {select_list(move_cols, MOVE_OVERRIDES, 't')} "
        "FROM bench_inv b CROSS JOIN account_move t WHERE t.id = %(tmpl)s ORDER BY b.seq"
    )
    cr.execute(query, {"prefix": BENCH_PREFIX, "tmpl": tmpl.id})
    quoted = ", ".join(f'"{c}"' for c in line_cols)
    for tmpl_line, overrides in (
        (tmpl_product, PRODUCT_LINE_OVERRIDES),
        (tmpl_receivable, RECEIVABLE_LINE_OVERRIDES),
    ):
        query = (
            f"INSERT INTO account_move_line ({quoted}) "
            f"SELECT {select_list(line_cols, overrides, 't')} "
            "FROM bench_inv b "
            "JOIN account_move m ON m.name = b.name AND m.journal_id = %(journal)s AND m.state = 'posted' "
            "CROSS JOIN account_move_line t WHERE t.id = %(tmpl)s ORDER BY b.seq"
        )
        cr.execute(query, {"journal": tmpl.journal_id.id, "tmpl": tmpl_line.id})
    cr.execute("DROP TABLE bench_inv")


MOVE_CHECK_FIELDS = [
    "amount_untaxed",
    "amount_total",
    "amount_residual",
    "amount_total_signed",
    "amount_residual_signed",
    "invoice_date_due",
    "commercial_partner_id",
    "payment_state",
]
LINE_CHECK_FIELDS = [
    "amount_residual",
    "amount_residual_currency",
    "reconciled",
    "parent_state",
    "date_maturity",
    "company_currency_id",
    "currency_id",
]


def compare_with_orm(env, moves):
    """Stored fields of bulk-inserted ``moves`` against what the ORM recomputes.

    Returns (unbalanced move names, differences); the recomputation is rolled
    back and the caches cleared, so the data set is left as it was.
    """
    stored_moves = {m.id: {f: m[f] for f in MOVE_CHECK_FIELDS} for m in moves}
    stored_lines = {
        ln.id: {f: ln[f] for f in LINE_CHECK_FIELDS} for ln in moves.line_ids
    }
    unbalanced = [
        m.name
        for m in moves
        if m.company_currency_id.compare_amounts(sum(m.line_ids.mapped("balance")), 0)
    ]
    moves.line_ids._compute_amount_residual()
    moves._compute_amount()
    moves._compute_payment_state()
    moves._compute_commercial_partner_id()
    diffs = [
        f"{m.name}.{f}: stored {stored_moves[m.id][f]!r} != ORM {m[f]!r}"
        for m in moves
        for f in MOVE_CHECK_FIELDS
        if m[f] != stored_moves[m.id][f]
    ]
    diffs += [
        f"{ln.move_id.name} {ln.display_type}.{f}: stored {stored_lines[ln.id][f]!r} != ORM {ln[f]!r}"
        for ln in moves.line_ids
        for f in LINE_CHECK_FIELDS
        if ln[f] != stored_lines[ln.id][f]
    ]
    env.cr.rollback()
    env.invalidate_all()
    return unbalanced, diffs


def report_consistency(moves, unbalanced, diffs):
    if unbalanced:
        raise RuntimeError(f"unbalanced bulk invoices: {unbalanced}")
    if diffs:
        log(f"WARNING: bulk invoices differ from the ORM ({len(diffs)}): {diffs[:8]}")
    else:
        log(f"consistency check: {len(moves)} bulk invoices match the ORM's values")


def check_bulk_invoices(env, rng, count=30):
    """Recompute the main stored fields of a few bulk invoices with the ORM and compare (then roll back)."""
    # Paid bulk invoices have no payment (the ORM would recompute them as not paid): open ones only.
    env.cr.execute(
        "SELECT id FROM account_move WHERE name LIKE %s AND state = 'posted' AND payment_state = 'not_paid' "
        "ORDER BY random() LIMIT %s",
        [BENCH_PREFIX + "%", count],
    )
    moves = env["account.move"].browse([r[0] for r in env.cr.fetchall()])
    report_consistency(moves, *compare_with_orm(env, moves))


def generate(env, args, rng):
    """Generate the data set; commit; return timings per phase."""
    cr = env.cr
    timings = {}
    t_all = t0 = time.perf_counter()
    env = env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
            otc_skip_credit_check=True,
        )
    )
    today = datetime.date.today()

    # Products (no taxes, invoiced on order)
    products = env["product.product"].create(
        [
            {
                "name": f"Bench Product {i:02d}",
                "type": "consu",
                "invoice_policy": "order",
                "list_price": rng.choice([5, 10, 25, 49.9, 99, 150, 320, 999]),
                "taxes_id": [(5,)],
            }
            for i in range(20)
        ]
    )

    # Customers, one in ten with 2 child contacts, plus the big one
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {i:04d}",
                "is_company": True,
                "customer_rank": 1,
                "email": f"customer{i:04d}@bench.example.com",
            }
            for i in range(args.customers)
        ]
    )
    big = env["res.partner"].create(
        {
            "name": "Big Customer",
            "is_company": True,
            "customer_rank": 1,
            "email": "big@bench.example.com",
        }
    )
    parents = [c for i, c in enumerate(customers) if i % 10 == 0] + [big]
    contacts = env["res.partner"].create(
        [
            {"name": f"{p.name} Contact {j}", "parent_id": p.id, "type": "contact"}
            for p in parents
            for j in (1, 2)
        ]
    )
    children = {}
    for c in contacts:
        children.setdefault(c.parent_id.id, []).append(c)
    env.flush_all()
    timings["customers & products"] = time.perf_counter() - t0
    log(
        f"{len(customers) + 1} customers, {len(contacts)} contacts, {len(products)} products "
        f"in {timings['customers & products']:.1f} s"
    )

    # Invoices: 2 ORM templates, the rest mirrored in SQL
    t0 = time.perf_counter()
    term = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
    c0 = customers[0]
    tmpl_moves = make_template_invoices(
        env, [children[c0.id][0], customers[1]], products[0], term
    )
    display = {p.id: p.display_name for p in customers | contacts | big}
    rows = []
    seq = 0
    n_regular = max(args.invoices - len(tmpl_moves), 0)
    for _i in range(n_regular):
        customer = customers[rng.randrange(len(customers))]
        partner = customer
        if customer.id in children and rng.random() < 0.3:
            partner = rng.choice(children[customer.id])
        age = rng.randrange(365)
        paid = (
            rng.random() < 0.4 * age / 365
        )  # ~20 % paid overall, older ones more often
        amount = round(rng.uniform(50, 5000), 2)
        seq += 1
        rows.append(
            (
                seq,
                partner.id,
                customer.id,
                display[partner.id],
                today - datetime.timedelta(days=age),
                amount,
                paid,
            )
        )
    for _i in range(args.big_invoices):
        age = rng.randrange(365)
        seq += 1
        rows.append(
            (
                seq,
                big.id,
                big.id,
                display[big.id],
                today - datetime.timedelta(days=age),
                round(rng.uniform(20, 2000), 2),
                False,
            )
        )
    bulk_invoices(env, tmpl_moves, rows)
    env.invalidate_all()
    cr.commit()
    timings["invoices (SQL)"] = time.perf_counter() - t0
    log(
        f"{len(rows) + len(tmpl_moves)} posted invoices in {timings['invoices (SQL)']:.1f} s"
    )
    check_bulk_invoices(env, rng)

    # Confirmed sale orders, not invoiced
    t0 = time.perf_counter()
    done = 0
    batch = 200
    while done < args.orders:
        n = min(batch, args.orders - done)
        vals = []
        for _i in range(n):
            customer = customers[rng.randrange(len(customers))]
            lines = [
                (
                    0,
                    0,
                    {
                        "product_id": rng.choice(products).id,
                        "product_uom_qty": rng.randint(1, 10),
                    },
                )
                for _j in range(rng.randint(1, 5))
            ]
            vals.append(
                {
                    "partner_id": customer.id,
                    "order_line": lines,
                    "date_order": datetime.datetime.now()
                    - datetime.timedelta(days=rng.randrange(60)),
                }
            )
        orders = env["sale.order"].create(vals)
        orders.with_context(**SKIP_CTX).action_confirm()
        env.flush_all()
        env.invalidate_all()
        cr.commit()
        done += n
        log(f"  {done}/{args.orders} sale orders")
    timings["sale orders (ORM)"] = time.perf_counter() - t0
    log(f"{args.orders} confirmed sale orders in {timings['sale orders (ORM)']:.1f} s")

    t0 = time.perf_counter()
    dataset = {
        "customers": args.customers,
        "invoices": args.invoices,
        "orders": args.orders,
        "big_invoices": args.big_invoices,
        "big_customer_id": big.id,
        "customer_ids": customers.ids,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    env.invalidate_all()
    cr.commit()
    cr.execute("ANALYZE")
    cr.commit()
    timings["analyze"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    log(f"data set generated in {timings['total']:.1f} s")
    return dataset, timings


def fold_open_items(env):
    """Fold the open-item changes the bulk load appended, as the 10-minute job does."""
    if "otc.credit.exposure" not in env:
        return
    t0 = time.perf_counter()
    folded = env["otc.credit.exposure"]._fold_open_item_deltas()
    env.cr.commit()
    log(f"{folded} open-item summary rows folded in {time.perf_counter() - t0:.1f} s")


def dataset_summary(cr, dataset):
    cr.execute(
        """SELECT count(*), count(*) FILTER (WHERE payment_state = 'not_paid'),
                  count(*) FILTER (WHERE payment_state = 'not_paid' AND invoice_date_due < current_date)
             FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'"""
    )
    total, open_, overdue = cr.fetchone()
    cr.execute(
        "SELECT count(*) FROM sale_order WHERE state = 'sale' AND invoice_status = 'to invoice'"
    )
    orders = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM account_move_line")
    lines = cr.fetchone()[0]
    return (
        f"{len(dataset['customer_ids'])} customers + Big Customer; {total} posted customer invoices "
        f"({open_} open, {overdue} overdue; {lines} journal items); {orders} confirmed sale orders to invoice"
    )


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


class QueryRecorder:
    """Collects the SQL run by the current thread through Odoo's query hooks (cheap: no formatting)."""

    def __init__(self):
        self.queries = []
        self.active = False

    def hook(self, cr, query, params, start, delay):
        if self.active:
            self.queries.append((delay, query, params))

    def __enter__(self):
        thread = threading.current_thread()
        thread.query_hooks = [*getattr(thread, "query_hooks", ()), self.hook]
        return self

    def __exit__(self, *exc):
        thread = threading.current_thread()
        thread.query_hooks = [
            h for h in getattr(thread, "query_hooks", ()) if h != self.hook
        ]

    def slowest(self, n=3):
        """[(average s, count, query template, params of its slowest run)], by total time."""
        agg = {}
        for delay, query, params in self.queries:
            tot, cnt, worst, worst_params = agg.get(query, (0.0, 0, -1.0, None))
            if delay > worst:
                worst, worst_params = delay, params
            agg[query] = (tot + delay, cnt + 1, worst, worst_params)
        ranked = sorted(agg.items(), key=lambda item: item[1][0], reverse=True)[:n]
        return [(tot / cnt, cnt, q, p) for q, (tot, cnt, _w, p) in ranked]


def stats(values_ms):
    s = sorted(values_ms)
    p95 = s[max(math.ceil(0.95 * len(s)) - 1, 0)]
    return {"median": statistics.median(s), "p95": p95, "min": s[0], "n": len(s)}


def make_user(env, login, group_xmlids):
    groups = [
        env.ref(x).id for x in group_xmlids if env.ref(x, raise_if_not_found=False)
    ]
    user = env["res.users"].search([("login", "=", login)])
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": login,
                    "name": login.replace("_", " ").title(),
                    "email": f"{login}@bench.example.com",
                    "company_id": env.company.id,
                    "company_ids": [(6, 0, [env.company.id])],
                }
            )
        )
    user.groups_id = [(4, g) for g in groups]
    return user


def set_credit_terms(env, partners):
    """Credit terms under which the benchmark orders pass the check after computing the exposure.

    A high credit limit (0 would mean "no limit") and, when the addon has it, a maximum number of days
    overdue above the age of the oldest generated invoice (the company default of 30 days would block
    most customers of the data set).
    """
    Partner = env["res.partner"]
    vals = {}
    if "credit_limit" in Partner._fields:
        vals["credit_limit"] = 10**9
    if "otc_max_overdue_days" in Partner._fields:
        vals["otc_max_overdue_days"] = 100000
    if not vals:
        log("WARNING: res.partner has no credit_limit field; credit terms not set")
        return
    partners.with_company(env.company).sudo().write(vals)
    env.flush_all()


def measure_confirm(env, partner_pool, products, *, runs, rng, recorder, label):
    """Time action_confirm with and without the credit check, and the check alone."""
    cr = env.cr
    SaleOrder = env["sale.order"]
    has_eval = hasattr(SaleOrder, "_otc_credit_evaluate")
    with_check, without_check, diff, evaluate, evaluate_warm = [], [], [], [], []
    q_with, q_without, q_eval, q_eval_warm = [], [], [], []
    sample_decision = None
    for i in range(WARMUP + runs):
        measured = i >= WARMUP
        # Each run is undone before the next: confirmed orders must not pile
        # up on the customer (the Big Customer would gain 300 open orders).
        savepoint = cr.savepoint(flush=False)
        partner = partner_pool[rng.randrange(len(partner_pool))]
        lines = [
            (0, 0, {"product_id": p.id, "product_uom_qty": rng.randint(1, 5)})
            for p in rng.sample(products, 2)
        ]
        orders = SaleOrder.create(
            [{"partner_id": partner.id, "order_line": lines} for _k in range(3)]
        )
        env.flush_all()
        timings = {}
        # alternate which variant runs first
        variants = [("with", orders[0], {}), ("without", orders[1], SKIP_CTX)]
        if i % 2:
            variants.reverse()
        for name, order, ctx in variants:
            env.invalidate_all()
            n0 = cr.sql_log_count
            recorder.active = measured and name == "with"
            t0 = time.perf_counter()
            order.with_context(**ctx).action_confirm()
            env.flush_all()
            dt = (time.perf_counter() - t0) * 1000
            recorder.active = False
            if order.state != "sale":
                raise RuntimeError(
                    f"{label}: order {order.name} not confirmed ({order.state}) {name} check"
                )
            timings[name] = (dt, cr.sql_log_count - n0)
            if "otc_credit_state" in order._fields:
                expected = "ok" if name == "with" else False
                if order.otc_credit_state != expected:
                    raise RuntimeError(
                        f"{label}: {order.name} confirmed {name} check has otc_credit_state "
                        f"{order.otc_credit_state!r}, expected {expected!r}"
                    )
        if has_eval:
            env.invalidate_all()
            n0 = cr.sql_log_count
            recorder.active = measured
            t0 = time.perf_counter()
            decision = orders[2]._otc_credit_evaluate()
            dt = (time.perf_counter() - t0) * 1000
            recorder.active = False
            sample_decision = decision
            failed = [d for d in decision.values() if not getattr(d, "passed", True)]
            if failed:
                raise RuntimeError(
                    f"{label}: _otc_credit_evaluate() did not pass: {failed}"
                )
            if measured:
                evaluate.append(dt)
                q_eval.append(cr.sql_log_count - n0)
            # The same check with the order, customer and company in cache, as
            # inside action_confirm: the check's own cost (its SQL and Python).
            n0 = cr.sql_log_count
            t0 = time.perf_counter()
            orders[2]._otc_credit_evaluate()
            if measured:
                evaluate_warm.append((time.perf_counter() - t0) * 1000)
                q_eval_warm.append(cr.sql_log_count - n0)
        env.flush_all()
        savepoint.close(rollback=True)
        env.invalidate_all()
        if measured:
            with_check.append(timings["with"][0])
            without_check.append(timings["without"][0])
            diff.append(timings["with"][0] - timings["without"][0])
            q_with.append(timings["with"][1])
            q_without.append(timings["without"][1])
    res = {
        "with": (stats(with_check), statistics.median(q_with)),
        "without": (stats(without_check), statistics.median(q_without)),
        "extra": (
            stats(diff),
            statistics.median(q_with) - statistics.median(q_without),
        ),
    }
    if has_eval:
        res["evaluate"] = (stats(evaluate), statistics.median(q_eval))
        res["evaluate_warm"] = (stats(evaluate_warm), statistics.median(q_eval_warm))
        log(f"{label}: sample _otc_credit_evaluate() result: {sample_decision!r}"[:400])
    else:
        log(
            f"{label}: sale.order has no method _otc_credit_evaluate(): check-alone timing skipped"
        )
    return res


def list_specification(Model):
    """web_search_read specification built from the fields of the model's list view."""
    arch = Model.get_views([(False, "list")])["views"]["list"]["arch"]
    root = etree.fromstring(arch)
    spec = {}
    for node in root.iter("field"):
        # only the list's own columns, not fields of nested sub-views
        if any(anc.tag == "field" for anc in node.iterancestors()):
            continue
        name = node.get("name")
        field = Model._fields.get(name)
        if not field:
            continue
        if field.type in ("many2one", "many2many", "one2many"):
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


def measure_list(env, user, runs, recorder):
    Model = (
        env["otc.credit.control"]
        .with_user(user)
        .with_context(allowed_company_ids=[env.company.id])
    )
    spec = list_specification(Model)
    log(f"credit control list view columns: {list(spec)}")
    cr = env.cr
    results = {}
    for label, kwargs in (
        ("all rows", {"limit": None}),
        ("first page (80) + count", {"limit": 80}),
    ):
        times, queries, length = [], [], None
        for i in range(min(WARMUP, 2) + runs):
            measured = i >= min(WARMUP, 2)
            env.invalidate_all()
            n0 = cr.sql_log_count
            recorder.active = measured
            t0 = time.perf_counter()
            res = Model.web_search_read(domain=[], specification=spec, **kwargs)
            dt = (time.perf_counter() - t0) * 1000
            recorder.active = False
            length = res["length"]
            if measured:
                times.append(dt)
                queries.append(cr.sql_log_count - n0)
        results[label] = (stats(times), statistics.median(queries), length)
    return results


def explain(cr, recorder, title, out):
    """Markdown: the queries taking most time in total, and EXPLAIN ANALYZE of the top read queries."""
    if not recorder.queries:
        return
    out.append(f"\n## {title}\n")
    top = recorder.slowest(4)
    for avg, cnt, query, _params in top:
        out.append(
            f"- {avg * 1000:.2f} ms avg x {cnt}: `{' '.join(str(query).split())[:200]}`"
        )
    explained = 0
    for avg, _cnt, query, params in top:
        head = str(query).lstrip()[:4].upper()
        if head not in ("SELE", "WITH") or explained == 2:
            continue
        explained += 1
        text = cr.mogrify(query, params).decode() if params else str(query)
        cr.execute("SAVEPOINT bench_explain")
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
        plan = "\n".join(r[0] for r in cr.fetchall())
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
        out.append(
            f"\nQuery ({avg * 1000:.2f} ms avg):\n\n```sql\n{text.strip()}\n```\n"
        )
        out.append(f"Plan:\n\n```\n{plan}\n```")
    recorder.queries.clear()


def fmt_row(measure, st, queries, target=""):
    figures = f"{st['median']:.2f} | {st['p95']:.2f} | {st['min']:.2f} | {st['n']}"
    return f"| {measure} | {figures} | {queries:g} | {target} |"


def measure(registry, args, dataset, gen_timings):
    rng = random.Random(args.seed + 1)
    table = [
        "| Measure | median ms | p95 ms | min ms | runs | SQL queries (median) | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    notes, details = [], []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        summary = dataset_summary(cr, dataset)
        customers = env["res.partner"].browse(dataset["customer_ids"])
        big = env["res.partner"].browse(dataset["big_customer_id"])
        products = (
            env["product.product"].search([("name", "like", "Bench Product")]).ids
        )
        set_credit_terms(env, customers | big)
        # Only a Credit Manager (or sudo) may skip the check with otc_skip_credit_check: orders are
        # confirmed as a Credit Manager (a salesman with all leads), the same user for both variants.
        manager = make_user(
            env,
            "otc_bench_credit_manager",
            [
                "sales_team.group_sale_salesman_all_leads",
                "otc_order_to_cash.group_otc_credit_manager",
            ],
        )
        env.flush_all()
        senv = env(user=manager, context={"allowed_company_ids": [env.company.id]})
        products = senv["product.product"].browse(products)
        recorder = QueryRecorder()
        with recorder:
            for label, pool in (("random customer", customers), ("Big Customer", big)):
                log(f"measuring action_confirm, {label} ({args.runs} runs)")
                try:
                    res = measure_confirm(
                        senv,
                        senv["res.partner"].browse(pool.ids),
                        list(products),
                        runs=args.runs,
                        rng=rng,
                        recorder=recorder,
                        label=label,
                    )
                except Exception as e:  # noqa: BLE001 - report and go on with the other measures
                    cr.rollback()
                    notes.append(
                        f"- {label}: confirm benchmark failed: `{type(e).__name__}: {e}`"
                    )
                    log(f"ERROR {label}: {type(e).__name__}: {e}")
                    continue
                table.append(
                    fmt_row(f"confirm {label}, with credit check", *res["with"])
                )
                table.append(
                    fmt_row(f"confirm {label}, check skipped", *res["without"])
                )
                table.append(
                    fmt_row(
                        f"**extra time of the check** ({label}, paired)",
                        *res["extra"],
                        target=f"≤ {TARGET_CHECK_MS:g} ms median",
                    )
                )
                if "evaluate" in res:
                    table.append(
                        fmt_row(
                            f"`_otc_credit_evaluate()` alone, cold cache ({label})",
                            *res["evaluate"],
                        )
                    )
                    table.append(
                        fmt_row(
                            f"**the check's own cost**: `_otc_credit_evaluate()`, "
                            f"records in cache as inside confirm ({label})",
                            *res["evaluate_warm"],
                            target=f"≤ {TARGET_CHECK_MS:g} ms median",
                        )
                    )
                else:
                    notes.append(
                        f"- {label}: `sale.order._otc_credit_evaluate()` does not exist: not measured"
                    )
                if args.explain:
                    explain(
                        cr, recorder, f"confirm with credit check, {label}", details
                    )
            if "otc.credit.control" in env:
                log(f"measuring the Credit Control list ({args.runs} runs)")
                try:
                    res = measure_list(env, manager, args.runs, recorder)
                    for label, (st, queries, length) in res.items():
                        target = (
                            f"≤ {TARGET_LIST_MS:g} ms" if label == "all rows" else ""
                        )
                        table.append(
                            fmt_row(
                                f"Credit Control list, {label} ({length} rows)",
                                st,
                                queries,
                                target,
                            )
                        )
                    if args.explain:
                        explain(cr, recorder, "Credit Control list", details)
                except Exception as e:  # noqa: BLE001
                    cr.rollback()
                    notes.append(
                        f"- Credit Control list benchmark failed: `{type(e).__name__}: {e}`"
                    )
                    log(f"ERROR credit control list: {type(e).__name__}: {e}")
            else:
                notes.append(
                    "- model `otc.credit.control` does not exist: Credit Control list not measured"
                )
        cr.rollback()  # leave the data set untouched

    out = [
        "## Credit management benchmark",
        "",
        f"`python3 benchmarks/bench_credit.py {' '.join(sys.argv[1:])}`".replace(
            " `", "`"
        ),
        (
            f"on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, PostgreSQL on the same machine, "
            f"Odoo {odoo.release.version}; data set: {summary}."
        ),
        "",
        *table,
    ]
    if gen_timings:
        out += [
            "",
            "Data generation: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in gen_timings.items())
            + ".",
        ]
    if notes:
        out += ["", *notes]
    if details:
        queries_file = Path(args.output).with_name(
            Path(args.output).stem + "_queries.md"
        )
        queries_file.write_text(
            "# Credit benchmark: heaviest queries\n" + "\n".join(details) + "\n"
        )
        out += ["", f"Heaviest queries and their plans: `{queries_file.name}`."]
    text = "\n".join(out) + "\n"
    print("\n" + text, flush=True)
    Path(args.output).write_text(text)
    log(f"results written to {args.output}")


def main(argv=None):
    args = parse_args(argv)
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    setup_odoo_config(args)
    registry = open_registry(args, modules)
    rng = random.Random(args.seed)
    gen_timings = None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ensure_chart_of_accounts(env)
        cr.commit()
        raw = env["ir.config_parameter"].sudo().get_param(DATASET_PARAM)
        if raw:
            dataset = json.loads(raw)
            log(f"reusing the data set generated on {dataset['generated']}")
            asked = {
                k: getattr(args, k)
                for k in ("customers", "invoices", "orders", "big_invoices")
            }
            if any(dataset[k] != v for k, v in asked.items()):
                log(
                    f"NOTE: the existing data set has other sizes than asked ({asked}); use --drop to rebuild"
                )
        else:
            cr.execute(
                "SELECT count(*) FROM account_move WHERE name LIKE %s",
                [BENCH_PREFIX + "%"],
            )
            if cr.fetchone()[0]:
                sys.exit(
                    f"database {args.db!r} holds an incomplete data set (an earlier run failed): use --drop"
                )
            log("generating the data set")
            dataset, gen_timings = generate(env, args, rng)
        fold_open_items(env)
        # A live database has been through autovacuum: without it a bulk load
        # leaves the visibility map empty and no index-only scan is possible.
        t0 = time.perf_counter()
        cnx = pg_connect(args, args.db)
        try:
            with cnx.cursor() as vcr:
                vcr.execute(
                    "VACUUM (ANALYZE) account_move_line, account_move, sale_order, sale_order_line, res_partner"
                )
                if "otc_order_to_cash" in modules:
                    vcr.execute(
                        "VACUUM (ANALYZE) otc_open_item_summary, otc_open_item_delta"
                    )
        finally:
            cnx.close()
        log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
    if not args.no_measure:
        measure(registry, args, dataset, gen_timings)


if __name__ == "__main__":
    main()
