"""Shared set-up and data generators of the benchmarks (``bench_*.py``).

Odoo configuration, the benchmark database (created, reused or dropped, with
the modules installed without demo data), a chart of accounts, template
invoices made with the ORM and mirrored in bulk SQL (``mirror_invoices``:
one row per invoice of a source table, per-invoice columns given as SQL
expressions), the check that bulk rows hold what the ORM would store, and the
measuring helpers (query recorder, statistics, users). Each ``bench_*.py``
keeps only what its own data set and measures need.
"""

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
from psycopg2 import sql
from psycopg2.extras import execute_values

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

REPO = Path(__file__).resolve().parent.parent


BENCH_PREFIX = "INV/BENCH/"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


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


def mirror_invoices(
    env,
    source,
    templates,
    *,
    key_columns=(),
    move_overrides,
    product_overrides,
    receivable_overrides,
    order_by,
    params=None,
):
    """Insert one posted invoice per row of the table ``source`` (alias ``b``) by
    mirroring the SQL rows of a template invoice made with the ORM.

    ``templates``: {key: two template moves} where key is the tuple of the
    values of ``key_columns`` in ``source`` (``()`` for a single kind): each row
    copies its kind's first template, with the columns of the ``*_overrides``
    dicts (SQL expressions over ``b``) set per invoice. The two templates of a
    kind are compared first: a column that differs between them but is copied
    verbatim is reported.
    """
    cr = env.cr
    move_cols = table_columns(cr, "account_move")
    line_cols = table_columns(cr, "account_move_line")
    for moves in templates.values():
        if len(moves) >= 2:
            check_template_overrides(cr, "account_move", moves.ids, move_overrides)
        for kind, overrides in (
            ("product", product_overrides),
            ("payment_term", receivable_overrides),
        ):
            lines = moves.line_ids.filtered(lambda line, k=kind: line.display_type == k)
            if len(lines) >= 2:
                check_template_overrides(
                    cr, "account_move_line", lines.ids, overrides, ignore=("move_id",)
                )
    journals = {moves.journal_id for moves in templates.values()}
    if len(journals) != 1:
        raise RuntimeError(f"template invoices in several journals: {journals}")
    journal = journals.pop()
    key_columns = list(key_columns)
    cr.execute(
        "CREATE TEMP TABLE bench_tmpl AS SELECT "
        + "".join(f'b."{c}", ' for c in key_columns)
        + f"0 AS move_id, 0 AS product_id, 0 AS payment_term_id FROM {source} b LIMIT 0"
    )
    tmpl_rows = []
    for key, moves in templates.items():
        by_type = {line.display_type: line.id for line in moves[0].line_ids}
        tmpl_rows.append(
            (*key, moves[0].id, by_type["product"], by_type["payment_term"])
        )
    execute_values(cr._obj, "INSERT INTO bench_tmpl VALUES %s", tmpl_rows)
    kinds = "JOIN bench_tmpl k ON " + (
        " AND ".join(f'k."{c}" = b."{c}"' for c in key_columns) or "TRUE"
    )

    def select_list(cols, overrides):
        return ", ".join(overrides.get(c, f't."{c}"') for c in cols)

    def quoted(cols):
        return ", ".join(f'"{c}"' for c in cols)

    params = {**(params or {}), "journal": journal.id}
    # one statement per table over all kinds: ids follow ``order_by``
    cr.execute(
        f"INSERT INTO account_move ({quoted(move_cols)}) "
        f"SELECT {select_list(move_cols, move_overrides)} "
        f"FROM {source} b {kinds} JOIN account_move t ON t.id = k.move_id "
        f"ORDER BY {order_by}",
        params,
    )
    # fresh rows: without statistics the planner joins them in a nested loop
    cr.execute("ANALYZE account_move")
    for column, overrides in (
        ("product_id", product_overrides),
        ("payment_term_id", receivable_overrides),
    ):
        cr.execute(
            f"INSERT INTO account_move_line ({quoted(line_cols)}) "
            f"SELECT {select_list(line_cols, overrides)} "
            f"FROM {source} b {kinds} "
            "JOIN account_move m ON m.name = b.name AND m.journal_id = %(journal)s "
            "AND m.state = 'posted' AND m.name <> '/' "
            f"JOIN account_move_line t ON t.id = k.{column} "
            f"ORDER BY {order_by}",
            params,
        )
    cr.execute("DROP TABLE bench_tmpl")


def bulk_invoices(env, tmpl_moves, rows):
    """Insert one posted invoice per row of ``rows`` by mirroring the template invoices' SQL rows.

    ``rows``: list of (seq, partner_id, commercial_id, display_name, inv_date, amount, paid).
    """
    cr = env.cr
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
    mirror_invoices(
        env,
        "bench_inv",
        {(): tmpl_moves},
        move_overrides=MOVE_OVERRIDES,
        product_overrides=PRODUCT_LINE_OVERRIDES,
        receivable_overrides=RECEIVABLE_LINE_OVERRIDES,
        order_by="b.seq",
        params={"prefix": BENCH_PREFIX},
    )
    cr.execute("DROP TABLE bench_inv")


# Invoices paid (in full or in part) by a payment entry: the source table also has
# ``paid_amount`` (0 for an open invoice), ``full_id`` (its account_full_reconcile id
# when paid in full) and ``partial_id`` (its account_partial_reconcile id when paid)
PAID_MOVE_OVERRIDES = {
    **MOVE_OVERRIDES,
    "invoice_user_id": "COALESCE((SELECT p.user_id FROM res_partner p"
    " WHERE p.id = b.partner_id), t.invoice_user_id)",
    "payment_state": "CASE WHEN b.full_id IS NOT NULL THEN 'paid' "
    "WHEN b.paid_amount > 0 THEN 'partial' ELSE 'not_paid' END",
    "amount_residual": "b.amount - b.paid_amount",
    "amount_residual_signed": "b.amount - b.paid_amount",
}


PAID_RECEIVABLE_LINE_OVERRIDES = {
    **RECEIVABLE_LINE_OVERRIDES,
    "amount_residual": "b.amount - b.paid_amount",
    "amount_residual_currency": "b.amount - b.paid_amount",
    "reconciled": "b.full_id IS NOT NULL",
    "full_reconcile_id": "b.full_id",
    "matching_number": "CASE WHEN b.full_id IS NOT NULL THEN b.full_id::text "
    "WHEN b.paid_amount > 0 THEN 'P' || b.partial_id END",
}


PAYMENT_PREFIX = "PAY/BENCH/"


# a payment entry (bank journal) per paid invoice: its columns set per payment
PAYMENT_MOVE_OVERRIDES = {
    "name": "b.pay_name",
    "sequence_prefix": "%(pay_prefix)s",
    "sequence_number": "b.seq",
    "date": "b.pay_date",
    "partner_id": "b.commercial_id",
    "commercial_partner_id": "b.commercial_id",
    "amount_total": "b.paid_amount",
    "amount_total_signed": "b.paid_amount",
    "amount_total_in_currency_signed": "b.paid_amount",
    "ref": "b.name",
    "access_token": "NULL",
    "inalterable_hash": "NULL",
    "secure_sequence_number": "NULL",
    "message_main_attachment_id": "NULL",
    "create_date": "now() AT TIME ZONE 'UTC'",
    "write_date": "now() AT TIME ZONE 'UTC'",
}


PAYMENT_LINE_OVERRIDES = {
    "move_id": "b.pay_move_id",
    "move_name": "b.pay_name",
    "partner_id": "b.commercial_id",
    "date": "b.pay_date",
    "ref": "b.name",
    "create_date": "now() AT TIME ZONE 'UTC'",
    "write_date": "now() AT TIME ZONE 'UTC'",
}


PAYMENT_RECEIVABLE_OVERRIDES = {
    **PAYMENT_LINE_OVERRIDES,
    "id": "b.pay_line_id",
    "balance": "-b.paid_amount",
    "amount_currency": "-b.paid_amount",
    "debit": "0.0",
    "credit": "b.paid_amount",
    "amount_residual": "0.0",
    "amount_residual_currency": "0.0",
    "reconciled": "true",
    "full_reconcile_id": "b.full_id",
    "matching_number": "CASE WHEN b.full_id IS NOT NULL THEN b.full_id::text "
    "ELSE 'P' || b.partial_id END",
    "date_maturity": "b.pay_date",
}


PAYMENT_COUNTERPART_OVERRIDES = {
    **PAYMENT_LINE_OVERRIDES,
    "id": "nextval('account_move_line_id_seq')",
    "balance": "b.paid_amount",
    "amount_currency": "b.paid_amount",
    # a bank account keeps a residual (Odoo computes it for cash accounts)
    "amount_residual": "b.paid_amount",
    "amount_residual_currency": "b.paid_amount",
    "debit": "b.paid_amount",
    "credit": "0.0",
    "date_maturity": "b.pay_date",
}


def make_template_payments(env, partners, journal):
    """Two posted payment entries in ``journal`` (receivable credit against the
    journal's account) made with the ORM: the templates of the bulk payments."""
    today = datetime.date.today()
    moves = env["account.move"]
    for i, partner in enumerate(partners):
        amount = 100.0 + 77.7 * i
        receivable = partner.with_company(env.company).property_account_receivable_id
        moves |= env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": today - datetime.timedelta(days=20 + 50 * i),
                "ref": f"template payment {i}",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "account_id": receivable.id,
                            "partner_id": partner.id,
                            "name": f"Payment {partner.name}",
                            "credit": amount,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "account_id": journal.default_account_id.id,
                            "partner_id": partner.id,
                            "name": f"Payment {partner.name}",
                            "debit": amount,
                        },
                    ),
                ],
            }
        )
    moves.action_post()
    env.flush_all()
    return moves


def bulk_paid_invoices(env, tmpl_moves, pay_moves, source):
    """Posted invoices of the table ``source`` with their payments and reconciliations, in SQL.

    ``source`` has (seq, partner_id, commercial_id, display_name, inv_date,
    amount, paid_amount, pay_date): an invoice is open when ``paid_amount`` is
    0, paid in full when it equals ``amount``, partly paid otherwise. Each paid
    invoice gets a payment entry (mirror of ``pay_moves``, posted ORM payment
    entries in a bank journal: a receivable credit of ``paid_amount`` on
    ``pay_date`` and its bank debit), one ``account_partial_reconcile`` row
    between the two receivable items (``max_date`` = the later date) and, when
    paid in full, an ``account_full_reconcile`` with both items' matching
    number, residuals and payment state set as Odoo's reconciliation sets them.
    Ids come from the tables' sequences, so every statement is one INSERT ...
    SELECT over all rows.
    """
    cr = env.cr
    cr.execute(
        f"""ALTER TABLE {source}
              ADD COLUMN name varchar, ADD COLUMN pay_name varchar,
              ADD COLUMN full_id int, ADD COLUMN partial_id int,
              ADD COLUMN pay_move_id int, ADD COLUMN pay_line_id int,
              ADD COLUMN inv_line_id int"""
    )
    cr.execute(
        f"""UPDATE {source}
               SET name = %(inv)s || lpad(seq::text, 7, '0'),
                   pay_name = CASE WHEN paid_amount > 0
                                   THEN %(pay)s || lpad(seq::text, 7, '0') END,
                   full_id = CASE WHEN paid_amount >= amount
                                  THEN nextval('account_full_reconcile_id_seq') END,
                   partial_id = CASE WHEN paid_amount > 0
                                     THEN nextval('account_partial_reconcile_id_seq') END,
                   pay_move_id = CASE WHEN paid_amount > 0
                                      THEN nextval('account_move_id_seq') END,
                   pay_line_id = CASE WHEN paid_amount > 0
                                      THEN nextval('account_move_line_id_seq') END""",
        {"inv": BENCH_PREFIX, "pay": PAYMENT_PREFIX},
    )
    cr.execute(
        f"""INSERT INTO account_full_reconcile (id, create_uid, create_date, write_uid, write_date)
            SELECT full_id, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM {source} WHERE full_id IS NOT NULL ORDER BY full_id""",
        {"uid": env.uid},
    )
    mirror_invoices(
        env,
        source,
        {(): tmpl_moves},
        move_overrides=PAID_MOVE_OVERRIDES,
        product_overrides=PRODUCT_LINE_OVERRIDES,
        receivable_overrides=PAID_RECEIVABLE_LINE_OVERRIDES,
        order_by="b.seq",
        params={"prefix": BENCH_PREFIX},
    )
    journal = tmpl_moves[0].journal_id
    cr.execute(
        f"""UPDATE {source} b SET inv_line_id = l.id
              FROM account_move m
              JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
             WHERE m.name = b.name AND m.journal_id = %s AND m.state = 'posted'""",
        [journal.id],
    )
    # payments: the move, then its two lines copied from the template's
    check_template_overrides(cr, "account_move", pay_moves.ids, PAYMENT_MOVE_OVERRIDES)
    move_cols = table_columns(cr, "account_move")
    line_cols = table_columns(cr, "account_move_line")
    template = pay_moves[0]
    rec_line = template.line_ids.filtered(lambda ln: ln.credit)
    bank_line = template.line_ids - rec_line

    def select_list(cols, overrides):
        return ", ".join(overrides.get(c, f't."{c}"') for c in cols)

    def quoted(cols):
        return ", ".join(f'"{c}"' for c in cols)

    params = {"pay_prefix": PAYMENT_PREFIX}
    cr.execute(
        f"INSERT INTO account_move (id, {quoted(move_cols)}) "
        f"SELECT b.pay_move_id, {select_list(move_cols, PAYMENT_MOVE_OVERRIDES)} "
        f"FROM {source} b JOIN account_move t ON t.id = %(tmpl)s "
        "WHERE b.paid_amount > 0 ORDER BY b.pay_move_id",
        {**params, "tmpl": template.id},
    )
    for line, overrides in (
        (rec_line, PAYMENT_RECEIVABLE_OVERRIDES),
        (bank_line, PAYMENT_COUNTERPART_OVERRIDES),
    ):
        cr.execute(
            f"INSERT INTO account_move_line (id, {quoted(line_cols)}) "
            f"SELECT {overrides['id']}, {select_list(line_cols, overrides)} "
            f"FROM {source} b JOIN account_move_line t ON t.id = %(tmpl)s "
            "WHERE b.paid_amount > 0 ORDER BY b.seq",
            {**params, "tmpl": line.id},
        )
    currency = env.company.currency_id.id
    cr.execute(
        f"""INSERT INTO account_partial_reconcile
                   (id, debit_move_id, credit_move_id, full_reconcile_id,
                    debit_currency_id, credit_currency_id, amount,
                    debit_amount_currency, credit_amount_currency, company_id, max_date,
                    create_uid, create_date, write_uid, write_date)
            SELECT partial_id, inv_line_id, pay_line_id, full_id, %(cur)s, %(cur)s,
                   paid_amount, paid_amount, paid_amount, %(company)s,
                   GREATEST(inv_date, pay_date),
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM {source} WHERE paid_amount > 0 ORDER BY partial_id""",
        {"cur": currency, "company": env.company.id, "uid": env.uid},
    )


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
    # computed as Odoo's recomputation does (the fields protected: a plain call
    # would write a payment entry's total through its inverse)
    for records, method, field in (
        (moves.line_ids, "_compute_amount_residual", "amount_residual"),
        (moves, "_compute_amount", "amount_total"),
        (moves, "_compute_payment_state", "payment_state"),
        (moves, "_compute_commercial_partner_id", "commercial_partner_id"),
    ):
        computed = records.pool.field_computed[records._fields[field]]
        with env.protecting(computed, records):
            getattr(records, method)()
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


def check_bulk_invoices(env, rng, count=30, states=("not_paid",)):
    """Recompute the main stored fields of a few bulk invoices with the ORM and compare (then roll back).

    ``states``: the payment states to sample (``bulk_invoices``' paid rows have no
    payment, the ORM would recompute them as not paid; ``bulk_paid_invoices``' have).
    """
    env.cr.execute(
        "SELECT id FROM (SELECT id, payment_state, row_number() OVER"
        " (PARTITION BY payment_state ORDER BY random()) AS n FROM account_move"
        " WHERE name LIKE %s AND state = 'posted' AND payment_state = ANY(%s)) s"
        " WHERE n <= %s",
        [BENCH_PREFIX + "%", list(states), count],
    )
    moves = env["account.move"].browse([r[0] for r in env.cr.fetchall()])
    report_consistency(moves, *compare_with_orm(env, moves))


def fold_open_items(env):
    """Fold the open-item changes the bulk load appended, as the 10-minute job does."""
    if "otc.credit.exposure" not in env:
        return
    t0 = time.perf_counter()
    folded = env["otc.credit.exposure"]._fold_open_item_deltas()
    env.cr.commit()
    log(f"{folded} open-item summary rows folded in {time.perf_counter() - t0:.1f} s")


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


# what the benchmarks' data is created with: no tracking values, no chatter
QUIET_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
}
COUNTRY_CODES = ("BE", "DE", "FR", "NL", "US")


def add_database_arguments(parser, default):
    """--db (default ``default``), --reuse and --drop, and the connection."""
    parser.add_argument("--db", default=default, help="default: %(default)s")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the database and its data set"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database first")
    add_connection_arguments(parser)


def open_dataset(
    args, modules, param, generate, *, sizes=(), after=None, vacuum_tables=""
):
    """(registry, data set, generation timings or None) of a benchmark.

    Opens the benchmark's database with ``modules`` (created and installed
    when missing), gives its company a chart of accounts, reuses or generates
    the data set (``load_or_generate``), runs ``after(env)`` in the same
    transaction (folding the open-item changes, adding followers...), then
    vacuums ``vacuum_tables`` as autovacuum would have on a live database
    (the time is added to the generation timings when it generated).
    """
    setup_odoo_config(args)
    registry = open_registry(args, modules)
    rng = random.Random(args.seed)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ensure_chart_of_accounts(env)
        cr.commit()
        dataset, timings = load_or_generate(
            env, args, param, generate, rng, sizes=sizes
        )
        if after:
            after(env)
    if vacuum_tables:
        seconds = vacuum(args, vacuum_tables)
        if timings is not None:
            timings["vacuum analyze"] = seconds
    return registry, dataset, timings


def load_or_generate(env, args, param, generate, rng, sizes=()):
    """(data set, generation timings or None) of a benchmark's database.

    The data set an earlier run stored under the ``ir.config_parameter``
    ``param`` is reused (a note when one of the ``sizes`` arguments asks for
    another size); else ``generate(env, args, rng)`` builds it. Benchmark
    invoices without a stored data set are what a failed generation leaves:
    the run stops and asks for ``--drop``.
    """
    raw = env["ir.config_parameter"].sudo().get_param(param)
    if raw:
        dataset = json.loads(raw)
        log(f"reusing the data set generated on {dataset['generated']}")
        asked = {name: getattr(args, name) for name in sizes}
        if any(dataset.get(name) != value for name, value in asked.items()):
            log(
                f"NOTE: the existing data set has other sizes than asked ({asked}); "
                "use --drop to rebuild"
            )
        return dataset, None
    env.cr.execute(
        "SELECT count(*) FROM account_move WHERE name LIKE %s", [BENCH_PREFIX + "%"]
    )
    if env.cr.fetchone()[0]:
        sys.exit(
            f"database {args.db!r} holds an incomplete data set (an earlier run "
            "failed): use --drop"
        )
    log("generating the data set")
    return generate(env, args, rng)


def vacuum(args, tables):
    """VACUUM (ANALYZE) ``tables`` (what autovacuum does on a live database:
    after a bulk load the visibility map is empty and no index-only scan is
    possible); returns the seconds it took."""
    t0 = time.perf_counter()
    cnx = pg_connect(args, args.db)
    try:
        with cnx.cursor() as vcr:
            vcr.execute(f"VACUUM (ANALYZE) {tables}")
    finally:
        cnx.close()
    seconds = time.perf_counter() - t0
    log(f"VACUUM ANALYZE in {seconds:.1f} s")
    return seconds


def add_connection_arguments(parser):
    """The PostgreSQL connection options every benchmark takes."""
    parser.add_argument("--db-user", default=os.environ.get("OTC_DB_USER") or "odoo")
    parser.add_argument(
        "--db-host", default=os.environ.get("OTC_DB_HOST") or "127.0.0.1"
    )
    parser.add_argument("--db-port", default=os.environ.get("OTC_DB_PORT") or "5432")
    parser.add_argument(
        "--db-password", default=os.environ.get("OTC_DB_PASSWORD") or ""
    )


def quiet_env(env, **context):
    """``env`` for generating data: quiet (QUIET_CONTEXT) plus ``context``."""
    return env(context=dict(env.context, **QUIET_CONTEXT, **context))


def make_product(env, name):
    """A goods product without taxes, invoiced on order, at 100."""
    return env["product.product"].create(
        {
            "name": name,
            "type": "consu",
            "invoice_policy": "order",
            "list_price": 100.0,
            "taxes_id": [(5,)],
        }
    )


def make_customers(env, label, count, extra=None):
    """``count`` customer companies "<label> Customer 00000"... in five countries.

    ``extra(i)`` gives more values of customer ``i`` (a salesperson, tags).
    """
    countries = env["res.country"].search([("code", "in", COUNTRY_CODES)])
    key = label.lower().replace(" ", "")
    return env["res.partner"].create(
        [
            {
                "name": f"{label} Customer {i:05d}",
                "is_company": True,
                "customer_rank": 1,
                "email": f"{key}{i:05d}@bench.example.com",
                "country_id": countries[i % len(countries)].id if countries else False,
                **(extra(i) if extra else {}),
            }
            for i in range(count)
        ]
    )


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
