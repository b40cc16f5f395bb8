"""Benchmark of the cash application of ``otc_order_to_cash`` on a realistic data volume.

This is a benchmark script, not a unit test: it builds (or reuses) a dedicated database, creates the
data set of ``benchmarks/matching_accuracy.py`` inside Odoo, matches and reconciles the statement lines
the way the scheduled job does, and measures time and accuracy. Target (issue 14): 10,000 statement
lines against 100,000 open items in at most 30 s, reconciliation writes included (issue 10: 60 s).

It reuses ``benchmarks/generator.py`` for the database and Odoo set-up, the
chart of accounts and the columns of the bulk SQL invoices, and ``benchmarks/matching_accuracy.py``
for the data (``build_dataset``: customers, open items, known payers, statement lines with a known
truth and a case each) and its scoring (``evaluate``, ``is_right``).

Data set (``--lines`` 10,000 lines against ``--items`` 100,000 open items, ``--seed`` 7; generated
once, kept for ``--reuse``):

* the company works in EUR (switched from the generic chart's USD while it has no journal items);
  USD is the second currency, 1.08 USD per EUR until 10 days ago and 1.11 since (the generator's
  booking and payment rates);
* one company ``res.partner`` per customer of the generator, with its name (a customer that only
  appears in the known payers is named ``Customer <id>``); the known payer accounts as
  ``res.partner.bank`` rows, the learned payer names as ``otc.cash.payer`` rows (kind ``name``);
* one posted customer invoice per open item, named with the item's number (``INV/2025/00001``), with
  its payment reference (number, RF creditor reference or per-customer reference) and origin order,
  due on the item's due date (invoice date 30 days earlier), for the item's residual: in EUR, or in
  USD for foreign-currency items (``amount_currency`` = the USD residual, balance = the EUR residual);
  items with an early-payment discount carry it as Odoo does for a "2/7 Net 30" invoice:
  ``discount_date``, ``discount_balance`` and ``discount_amount_currency`` (the discounted amounts) on
  the receivable line. Eight template invoices (EUR / USD, with / without the early-discount term)
  are made and posted through the ORM, then cancelled; the 100,000 invoices mirror their SQL rows
  (one product line and one receivable line each, no taxes) like ``generator.bulk_invoices``,
  with more columns set per invoice;
* the statement lines through the ORM (batches of 500) in the company's bank journal: date, label
  (``payment_ref``), payer name and account, amount (EUR) and, for USD payments, the foreign currency
  and amount; ``otc_match_state = 'todo'``. Statement line *i* is line *i* of the generator.

The generator's dates are relative to its fixed "today" (2026-06-30); they are shifted so that its
today is the day of the run (a ``--reuse`` run on a later day shifts the stored dates again).

Measurements, as superuser like the scheduled job, in a copy of the database made for the pass
(``CREATE DATABASE <db>_pass TEMPLATE <db>``, a few seconds, dropped afterwards) so that each batch
commits as the scheduled job's batches do: one transaction per batch, not one for the whole run.
``--in-transaction`` measures in one transaction of the database itself instead, a savepoint per
batch, rolled back at the end (the profiled pass always does; ``--keep`` commits it: a later
``--reuse`` then has nothing left to match):

a. the timed region, caches invalidated first: ``_otc_session(company)`` once (open items query,
   known payers, matcher index), then ``_otc_match_lines(session=...)`` over batches of 1000 lines
   (the scheduled job's batch) in the generator's order, each flushed and committed like a batch
   of ``_cron_otc_match`` (which cannot be called here: its progress reports need a running
   scheduled job), and a final ``env.flush_all()``. Reported: total wall time, session build, engine time
   (``match_and_decide``), reconciliation (``_otc_apply``: counterpart items, Odoo's reconciliation,
   applied suggestions, line updates), the flush at the end of each batch, the rest (locks,
   suggestions, states), lines per second, SQL queries and their time (and the statements taking
   most time);
b. accuracy from what Odoo stored, scored with ``matching_accuracy.evaluate`` per case and overall: an
   automatic reconciliation (``otc_match_state = 'auto'``) is right when its applied suggestion's
   ``allocation`` names exactly the truth's invoices with the truth's amounts; auto share = paying
   lines reconciled automatically; top-3 = paying lines not reconciled automatically whose truth is
   among the three best proposed suggestions (by ``sequence``);
c. checks: every automatically matched line is reconciled (``is_reconciled``) and no invoice is
   over-applied (no negative residual, allocations applied to an invoice within its open amount);
d. for reference, the engine alone (``matching_accuracy``'s matcher, with the configuration of the
   company's session, consuming the items of each automatic match before the next line as the
   session does) on the same data: its accuracy and lines per second (``--no-engine`` skips it);
   what differs from it is the Odoo side's doing (open items and lines as read from the database).

``--profile`` first runs the same region under cProfile (rolled back; the measured pass follows) and
writes its top 30 functions by cumulative and by own time to ``benchmarks/results_cash_profile.txt``.
Results are printed as markdown and written to ``benchmarks/results_cash.md``. Timings are
wall-clock on a shared machine: run it on an otherwise idle machine for figures to publish.

Usage (PostgreSQL reachable with the ``odoo`` role, Odoo importable by ``python3``)::

    python3 benchmarks/bench_cash.py                     # create otc_bench_cash, generate, measure
    python3 benchmarks/bench_cash.py --reuse             # reuse the database and its data set
    python3 benchmarks/bench_cash.py --drop              # drop and rebuild the database first
    python3 benchmarks/bench_cash.py --reuse --profile   # + cProfile of the timed region
    python3 benchmarks/bench_cash.py --reuse --in-transaction  # one transaction, rolled back
    python3 benchmarks/bench_cash.py --lines 500 --items 5000 --db otc_bench_cash_small

    Options: --db NAME --lines 10000 --items 100000 --seed 7 --batch-size 1000 --keep --no-engine
             --in-transaction
             --profile-raw FILE (raw cProfile stats for pstats) --no-measure (generate only)
             --db-user odoo (or $OTC_DB_USER) --db-host 127.0.0.1 --db-port 5432
"""

import argparse
import cProfile
import dataclasses
import datetime
import hashlib
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from psycopg2 import sql as pgsql
from psycopg2.extras import execute_values

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import split_every

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generator as gen  # noqa: E402
import matching_accuracy as ma  # noqa: E402

log = gen.log
HERE = Path(__file__).resolve().parent
RESULTS_FILE = HERE / "results_cash.md"
PROFILE_FILE = HERE / "results_cash_profile.txt"
DATASET_PARAM = "otc_bench_cash.dataset"
MODULES = ["otc_order_to_cash"]
TARGET_S = 30.0  # issue 14 (issue 10: 60 s)
USD_RATE = getattr(ma, "USD_RATE", 1.08)
USD_RATE_TODAY = getattr(ma, "USD_RATE_TODAY", 1.11)
GEN_TODAY = getattr(ma, "TODAY", datetime.date(2026, 6, 30))
TEMPLATE_YEAR = 2024  # template invoices: a year no generated number uses
TEMPLATE_PARTNER = "Bench Cash Template Customer"
CTX = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "otc_skip_credit_check": True,
}
# lines vacuumed between two passes (a rolled-back pass leaves dead rows behind)
PASS_TABLES = (
    "account_move_line, account_move, account_partial_reconcile, account_full_reconcile, "
    "account_bank_statement_line, otc_cash_suggestion, res_partner"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen.add_database_arguments(p, "otc_bench_cash")
    p.add_argument(
        "--keep",
        action="store_true",
        help="commit the measured pass (the data set is then consumed)",
    )
    p.add_argument("--lines", type=int, default=10000)
    p.add_argument("--items", type=int, default=100000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--batch-size", type=int, default=1000)  # the scheduled job's batch
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the timed region in an extra pass first",
    )
    p.add_argument(
        "--no-engine",
        action="store_true",
        help="skip the engine-alone reference run",
    )
    p.add_argument("--log-level", default="warn", help="Odoo log level")
    p.add_argument("--log-sql", action="store_true", help="log every SQL query")
    p.add_argument("--output", default=str(RESULTS_FILE), help="markdown results file")
    p.add_argument("--profile-output", default=str(PROFILE_FILE))
    p.add_argument(
        "--profile-raw", help="also dump the raw cProfile stats to this file"
    )
    p.add_argument(
        "--no-measure", action="store_true", help="only build the database and data set"
    )
    p.add_argument(
        "--in-transaction",
        action="store_true",
        help="measure in one transaction rolled back (savepoint per batch) instead of "
        "committing each batch in a copy of the database",
    )
    return p.parse_args(argv)


# --------------------------------------------------------------------------------------------------
# Data set
# --------------------------------------------------------------------------------------------------


class Data:
    """The generator's data set, its fingerprint and the date offset to today."""

    def __init__(self, args):
        t0 = time.perf_counter()
        self.items, self.known, self.lines, self.truths, self.cases = ma.build_dataset(
            n_lines=args.lines, n_items=args.items, seed=args.seed, with_cases=True
        )
        self.seconds = time.perf_counter() - t0
        digest = hashlib.sha1()
        for part in (self.items, self.lines, self.truths, self.cases):
            for obj in part:
                digest.update(repr(obj).encode())
        digest.update(repr(sorted(self.known.accounts.items())).encode())
        digest.update(repr(sorted(self.known.names.items())).encode())
        self.fingerprint = digest.hexdigest()

    def customers(self):
        """{customer id: name} of every customer an item or a known payer fact names."""
        names = ma.customer_names(self.items)
        for cid in (*self.known.accounts.values(), *self.known.names.values()):
            names.setdefault(cid, f"Customer {cid}")
        return names


def setup_company(env):
    """EUR company (switched while it has no journal items), USD active with the generator's rates."""
    gen.ensure_chart_of_accounts(env)
    company = env.company
    Currency = env["res.currency"].with_context(active_test=False)
    eur = Currency.search([("name", "=", "EUR")])
    usd = Currency.search([("name", "=", "USD")])
    (eur | usd).active = True
    if company.currency_id != eur:
        if company.root_id._existing_accounting():
            sys.exit(
                f"the company works in {company.currency_id.name} and has journal items: use --drop"
            )
        log("switching the company currency to EUR")
        company.currency_id = eur
    env["res.currency.rate"].search([("currency_id", "=", usd.id)]).unlink()
    env["res.currency.rate"].create(
        [
            {
                "currency_id": usd.id,
                "company_id": company.id,
                "name": "2000-01-01",
                "rate": USD_RATE,
            },
            {
                "currency_id": usd.id,
                "company_id": company.id,
                "name": datetime.date.today() - datetime.timedelta(days=10),
                "rate": USD_RATE_TODAY,
            },
        ]
    )
    if not company.otc_cash_writeoff_account_id:
        Account = env["account.account"]
        domain = [*Account._check_company_domain(company)]
        account = Account.search(
            [*domain, ("account_type", "=", "expense"), ("name", "ilike", "bank")],
            limit=1,
        ) or Account.search([*domain, ("account_type", "=", "expense")], limit=1)
        company.otc_cash_writeoff_account_id = account
    env.flush_all()
    return eur, usd


def create_partners(env, data):
    """Customers, their known bank accounts and learned payer names; returns {customer id: partner id}."""
    names = data.customers()
    cids = sorted(names)
    partner_ids = {}
    for chunk in split_every(2000, cids):
        partners = env["res.partner"].create(
            [{"name": names[c], "is_company": True, "customer_rank": 1} for c in chunk]
        )
        partner_ids.update(zip(chunk, partners.ids))
        env.flush_all()
        env.invalidate_all()
    accounts = sorted(data.known.accounts.items())
    for chunk in split_every(2000, accounts):
        env["res.partner.bank"].create(
            [{"acc_number": acc, "partner_id": partner_ids[c]} for acc, c in chunk]
        )
        env.flush_all()
        env.invalidate_all()
    env["otc.cash.payer"].create(
        [
            {
                "company_id": env.company.id,
                "partner_id": partner_ids[c],
                "kind": "name",
                "value": name,
            }
            for name, c in sorted(data.known.names.items())
        ]
    )
    env.flush_all()
    return partner_ids


def make_templates(env, product, usd):
    """Two posted 1-line invoices without taxes per kind (currency, with or without early discount).

    Dated in ``TEMPLATE_YEAR`` (their numbers do not collide with the generated ones); they are
    cancelled once mirrored.
    """
    partner = env["res.partner"].create({"name": TEMPLATE_PARTNER, "is_company": True})
    term = env.ref("account.account_payment_term_30days")
    term_disc = env.ref("account.account_payment_term_30days_early_discount")
    company_currency = env.company.currency_id
    kinds = {
        ("", False): (company_currency, term),
        ("", True): (company_currency, term_disc),
        ("USD", False): (usd, term),
        ("USD", True): (usd, term_disc),
    }
    templates = {}
    for key, (currency, pterm) in kinds.items():
        vals = [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "currency_id": currency.id,
                "invoice_date": datetime.date(TEMPLATE_YEAR, 2 + 4 * i, 10),
                "invoice_payment_term_id": pterm.id,
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
            for i in range(2)
        ]
        moves = env["account.move"].create(vals)
        moves.action_post()
        for move in moves:
            kinds_ = sorted(move.line_ids.mapped("display_type"))
            if kinds_ != ["payment_term", "product"]:
                raise RuntimeError(f"unexpected template invoice lines {kinds_}")
            term_line = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            if bool(term_line.discount_date) != key[1]:
                raise RuntimeError(f"template {move.name}: unexpected discount date")
        templates[key] = moves
    env.flush_all()
    return templates


# account_move columns set per invoice (the others are copied from the template)
MOVE_OVERRIDES = {
    **gen.MOVE_OVERRIDES,
    "name": "b.name",
    "sequence_prefix": "b.prefix",
    "sequence_number": "b.seq",
    "date": "b.inv_date",
    "invoice_date": "b.inv_date",
    "invoice_date_due": "b.due",
    "partner_id": "b.partner_id",
    "commercial_partner_id": "b.partner_id",
    "partner_shipping_id": "b.partner_id",
    "invoice_partner_display_name": "b.display_name",
    "payment_reference": "b.pay_ref",
    "invoice_origin": "b.origin",
    "payment_state": "'not_paid'",
    "amount_untaxed": "b.amount_cur",
    "amount_untaxed_signed": "b.amount",
    "amount_untaxed_in_currency_signed": "b.amount_cur",
    "amount_total": "b.amount_cur",
    "amount_total_signed": "b.amount",
    "amount_total_in_currency_signed": "b.amount_cur",
    "amount_residual": "b.amount_cur",
    "amount_residual_signed": "b.amount",
}
LINE_OVERRIDES = {
    **gen.LINE_OVERRIDES,
    "partner_id": "b.partner_id",
}
PRODUCT_LINE_OVERRIDES = {
    **LINE_OVERRIDES,
    "balance": "-b.amount",
    "amount_currency": "-b.amount_cur",
    "debit": "0.0",
    "credit": "b.amount",
    "price_unit": "b.amount_cur",
    "price_subtotal": "b.amount_cur",
    "price_total": "b.amount_cur",
    "quantity": "1.0",
    "amount_residual": "0.0",
    "amount_residual_currency": "0.0",
    "reconciled": "false",
    "date_maturity": "NULL",
}
RECEIVABLE_LINE_OVERRIDES = {
    **LINE_OVERRIDES,
    "name": "b.pay_ref",
    "balance": "b.amount",
    "amount_currency": "b.amount_cur",
    "debit": "b.amount",
    "credit": "0.0",
    "amount_residual": "b.amount",
    "amount_residual_currency": "b.amount_cur",
    "reconciled": "false",
    "date_maturity": "b.due",
    "discount_date": "b.disc_date",
    "discount_balance": "b.disc_balance",
    "discount_amount_currency": "b.disc_amount_cur",
}


def invoice_rows(data, partner_ids, names, offset):
    """Rows of the temporary table the invoices are inserted from, one per open item."""
    rows = []
    for it in data.items:
        prefix, seq = it.number.rsplit("/", 1)
        due = it.due_date + offset
        amount_cur = it.residual_currency if it.currency else it.residual
        disc_date = disc_balance = disc_cur = None
        if it.discount:
            disc_date = it.discount_date + offset
            disc_balance = round(it.residual - it.discount, 2)
            disc = it.discount_currency if it.currency else it.discount
            disc_cur = round(amount_cur - disc, 2)
        pid = partner_ids[it.customer_id]
        rows.append(
            (
                it.id,
                it.currency or "",
                bool(it.discount),
                it.number,
                prefix + "/",
                int(seq),
                pid,
                names[pid],
                due - datetime.timedelta(days=30),
                due,
                it.payment_ref or it.rf_ref or None,
                it.order_ref or None,
                it.residual,
                amount_cur,
                disc_date,
                disc_balance or 0.0,
                disc_cur or 0.0,
            )
        )
    return rows


def bulk_cash_invoices(env, templates, rows):
    """Insert one posted invoice per row by mirroring the SQL rows of the template of its kind.

    ``generator.mirror_invoices`` with the columns a cash application needs set per invoice
    (number, payment reference, origin, due date, currency amounts, early-payment discount).
    """
    cr = env.cr
    cr.execute(
        """CREATE TEMP TABLE bench_cash_inv (
               item_id int, currency varchar, has_discount boolean, name varchar,
               prefix varchar, seq int, partner_id int, display_name varchar, inv_date date,
               due date, pay_ref varchar, origin varchar, amount numeric, amount_cur numeric,
               disc_date date, disc_balance numeric, disc_amount_cur numeric)"""
    )
    execute_values(
        cr._obj, "INSERT INTO bench_cash_inv VALUES %s", rows, page_size=5000
    )
    cr.execute("CREATE INDEX ON bench_cash_inv (name)")
    cr.execute("ANALYZE bench_cash_inv")
    # ids follow the items' order (the generator's tie-break between items due the
    # same day, as the session orders by due date, id)
    gen.mirror_invoices(
        env,
        "bench_cash_inv",
        templates,
        key_columns=("currency", "has_discount"),
        move_overrides=MOVE_OVERRIDES,
        product_overrides=PRODUCT_LINE_OVERRIDES,
        receivable_overrides=RECEIVABLE_LINE_OVERRIDES,
        order_by="b.item_id",
    )
    cr.execute("DROP TABLE bench_cash_inv")


def cancel_templates(env, templates):
    moves = env["account.move"].browse(
        [mid for moves in templates.values() for mid in moves.ids]
    )
    moves.button_draft()
    moves.button_cancel()
    env.flush_all()


def check_invoices(env, move_ids, count=40):
    """Recompute the main stored fields of a sample of bulk invoices with the ORM (then roll back)."""
    step = max(len(move_ids) // count, 1)
    moves = env["account.move"].browse(move_ids[::step][:count])
    gen.report_consistency(moves, *gen.compare_with_orm(env, moves))


def create_statement_lines(env, data, journal, usd, offset, batch=500):
    """The generator's lines as statement lines (ORM); returns their ids in the generator's order."""
    cr = env.cr
    ids = []
    for n, chunk in enumerate(split_every(batch, data.lines), start=1):
        vals = []
        for line in chunk:
            v = {
                "journal_id": journal.id,
                "date": line.date + offset,
                "payment_ref": line.label or False,
                "ref": line.reference or False,
                "partner_name": line.partner_name or False,
                "account_number": line.account_number or False,
                "amount": line.amount,
                "otc_match_state": "todo",
            }
            if line.currency:
                v["foreign_currency_id"] = usd.id
                v["amount_currency"] = line.amount_currency
            vals.append(v)
        ids += env["account.bank.statement.line"].create(vals).ids
        env.flush_all()
        env.invalidate_all()
        cr.commit()
        if n <= 2 or n % 5 == 0:
            # what autovacuum would do on a live database: the bank journal
            # had no entries when the invoices were analyzed, and Odoo's
            # sequence query (``_get_last_sequence``, once per line) then scans
            # all of the journal's entries of the year, a quadratic import
            cr.execute(
                "ANALYZE account_move, account_move_line, account_bank_statement_line"
            )
        if n % 4 == 0 or len(ids) == len(data.lines):
            log(f"  {len(ids)}/{len(data.lines)} statement lines")
    return ids


def generate(env, args, data):
    """Create the data set in Odoo; commit; return (dataset, timings per phase)."""
    cr = env.cr
    env = env(context=dict(env.context, **CTX))
    timings = {}
    t_all = t0 = time.perf_counter()
    today = datetime.date.today()
    offset = today - GEN_TODAY
    _eur, usd = setup_company(env)
    partner_ids = create_partners(env, data)
    cr.commit()
    timings["customers, bank accounts, payers (ORM)"] = time.perf_counter() - t0
    log(
        f"{len(partner_ids)} customers, {len(data.known.accounts)} bank accounts, "
        f"{len(data.known.names)} learned payer names in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    product = env["product.product"].create(
        {"name": "Bench Cash Product", "type": "service", "taxes_id": [(5,)]}
    )
    templates = make_templates(env, product, usd)
    partners = env["res.partner"].browse(list(partner_ids.values()))
    names = {p.id: p.display_name for p in partners}
    bulk_cash_invoices(env, templates, invoice_rows(data, partner_ids, names, offset))
    env.invalidate_all()
    cancel_templates(env, templates)
    cr.commit()
    item_aml = receivable_map(env, data)
    if len(item_aml) != len(data.items):
        raise RuntimeError(f"{len(item_aml)} invoices made for {len(data.items)} items")
    timings["invoices (SQL)"] = time.perf_counter() - t0
    log(f"{len(item_aml)} posted invoices in {timings['invoices (SQL)']:.1f} s")
    cr.execute(
        "SELECT move_id FROM account_move_line WHERE id = ANY(%s) ORDER BY id",
        [list(item_aml.values())],
    )
    check_invoices(env, [r[0] for r in cr.fetchall()])

    t0 = time.perf_counter()
    journal = env["account.journal"].search(
        [
            *env["account.journal"]._check_company_domain(env.company),
            ("type", "=", "bank"),
        ],
        limit=1,
    )
    line_ids = create_statement_lines(env, data, journal, usd, offset)
    timings["statement lines (ORM)"] = time.perf_counter() - t0
    log(f"{len(line_ids)} statement lines in {timings['statement lines (ORM)']:.1f} s")

    timings["total"] = time.perf_counter() - t_all
    dataset = {
        "lines": args.lines,
        "items": args.items,
        "seed": args.seed,
        "fingerprint": data.fingerprint,
        "today": today.isoformat(),
        "line_ids": line_ids,
        "journal_id": journal.id,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
        "gen_timings": timings,
    }
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    cr.commit()
    log(f"data set generated in {timings['total']:.1f} s")
    return dataset


def receivable_map(env, data):
    """{engine item id: receivable account.move.line id}, through the invoice numbers."""
    by_number = {it.number: it.id for it in data.items}
    env.cr.execute(
        """SELECT m.name, aml.id
             FROM account_move m
             JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
            WHERE m.move_type = 'out_invoice' AND m.state = 'posted' AND m.name = ANY(%s)""",
        [list(by_number)],
    )
    return {by_number[name]: aml_id for name, aml_id in env.cr.fetchall()}


def shift_dates(env, dataset, item_aml):
    """Shift the data set's dates so that the generator's today is today again."""
    days = (datetime.date.today() - datetime.date.fromisoformat(dataset["today"])).days
    if not days:
        return dataset
    cr = env.cr
    log(f"data set generated {days} day(s) ago: shifting its dates by {days} day(s)")
    cr.execute(
        "SELECT array_agg(DISTINCT move_id) FROM account_move_line WHERE id = ANY(%s)",
        [list(item_aml.values())],
    )
    move_ids = cr.fetchone()[0] or []
    cr.execute(
        "SELECT array_agg(move_id) FROM account_bank_statement_line WHERE id = ANY(%s)",
        [dataset["line_ids"]],
    )
    move_ids += cr.fetchone()[0] or []
    params = {"d": days, "ids": move_ids}
    cr.execute(
        """UPDATE account_move SET date = date + %(d)s, invoice_date = invoice_date + %(d)s,
                  invoice_date_due = invoice_date_due + %(d)s WHERE id = ANY(%(ids)s)""",
        params,
    )
    cr.execute(
        """UPDATE account_move_line SET date = date + %(d)s, invoice_date = invoice_date + %(d)s,
                  date_maturity = date_maturity + %(d)s, discount_date = discount_date + %(d)s
            WHERE move_id = ANY(%(ids)s)""",
        params,
    )
    cr.execute(
        """UPDATE res_currency_rate SET name = name + %(d)s
            WHERE currency_id = (SELECT id FROM res_currency WHERE name = 'USD')
              AND name > '2000-01-01'""",
        params,
    )
    dataset["today"] = datetime.date.today().isoformat()
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    cr.commit()
    env.invalidate_all()
    return dataset


def vacuum(args, tables):
    t0 = time.perf_counter()
    cnx = gen.pg_connect(args, args.db)
    try:
        with cnx.cursor() as vcr:
            vcr.execute(f"VACUUM (ANALYZE) {tables}")
    finally:
        cnx.close()
    log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def _text(query):
    return query.decode(errors="replace") if isinstance(query, bytes) else str(query)


class Stopwatch:
    """Wraps a callable and adds up the time spent in it."""

    def __init__(self, func):
        self.func = func
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1


def cold_engine_caches():
    """Empty the engine's memoized functions (name tokens and similarities).

    They live as long as the process: a pass after the profiled one would
    find the payers' names already compared. Each pass starts cold, as a
    scheduled job's first run in a fresh worker does.
    """
    for name, module in list(sys.modules.items()):
        if "otc_order_to_cash.engine" not in name and not name.startswith(
            "_otc_engine"
        ):
            continue
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def timed_region(env, line_ids, batch_size, profiler=None, commit=False):
    """Session once, then ``_otc_match_lines`` per batch as the scheduled job does; returns timings.

    ``commit``: each batch commits, as the scheduled job's batches do; otherwise each batch runs in
    a savepoint of one transaction (rolled back by the caller).
    """
    from odoo.addons.otc_order_to_cash.tools import heap  # noqa: PLC0415

    cr = env.cr
    company = env.company
    BSL = env["account.bank.statement.line"].with_company(company)
    cls = type(BSL)
    own = cls.__dict__.get("_otc_apply")
    apply_watch = Stopwatch(cls._otc_apply)
    cls._otc_apply = lambda self, *a, **kw: apply_watch(self, *a, **kw)
    stats = {"auto": 0, "suggested": 0, "unmatched": 0}
    batch_times, flush_s = [], 0.0
    cold_engine_caches()
    env.invalidate_all()
    try:
        with gen.QueryRecorder() as sql:
            sql.active = True
            if profiler:
                profiler.enable()
            t0 = time.perf_counter()
            session = BSL._otc_session(company)
            t_session = time.perf_counter() - t0
            matcher = session["matcher"]
            engine_watch = Stopwatch(matcher.match_and_decide)
            matcher.match_and_decide = engine_watch
            for chunk in split_every(batch_size, line_ids):
                tb = time.perf_counter()
                if commit:
                    res = BSL.browse(chunk)._otc_match_lines(session=session)
                    tf = time.perf_counter()
                    env.flush_all()
                    cr.commit()
                    flush_s += time.perf_counter() - tf
                else:
                    with cr.savepoint(flush=True):
                        res = BSL.browse(chunk)._otc_match_lines(session=session)
                        tf = time.perf_counter()
                        env.flush_all()
                        flush_s += time.perf_counter() - tf
                batch_times.append(time.perf_counter() - tb)
                for key in stats:
                    stats[key] += res.get(key, 0)
            env.flush_all()
            # the end of the scheduled job's run (``_otc_cron_company``)
            heap.release()
            total = time.perf_counter() - t0
            if profiler:
                profiler.disable()
    finally:
        if own is None:
            del cls._otc_apply
        else:
            cls._otc_apply = own
    return {
        "total": total,
        "session": t_session,
        "engine": engine_watch.seconds,
        "apply": apply_watch.seconds,
        "apply_calls": apply_watch.calls,
        "flush": flush_s,
        "other": total
        - t_session
        - engine_watch.seconds
        - apply_watch.seconds
        - flush_s,
        "batches": batch_times,
        "stats": stats,
        "sql_count": len(sql.queries),
        "sql_s": sum(q[0] for q in sql.queries),
        "sql_top": [
            (avg * cnt, cnt, " ".join(_text(query).split()))
            for avg, cnt, query, _params in sql.slowest(8)
        ],
        "items": len(matcher._entries) if hasattr(matcher, "_entries") else None,
        "config": session["config"],
    }


def proposal(allocation, aml_item):
    """Engine-like proposal (``allocations`` in item ids) of a stored suggestion allocation."""
    return SimpleNamespace(
        allocations=[
            (aml_item.get(aml, ("aml", aml)), amount) for aml, amount in allocation
        ]
    )


def collect(env, line_ids, aml_item):
    """Per line (generator order): decision objects for ``evaluate``, and the checks' figures."""
    cr = env.cr
    env.flush_all()
    cr.execute(
        """SELECT l.id, l.otc_match_state, l.is_reconciled, s.allocation, c.name, s.kind
             FROM account_bank_statement_line l
             LEFT JOIN otc_cash_suggestion s ON s.id = l.otc_applied_suggestion_id
             LEFT JOIN res_currency c ON c.id = s.currency_id
            WHERE l.id = ANY(%s)""",
        [line_ids],
    )
    lines = {r[0]: r[1:] for r in cr.fetchall()}
    cr.execute(
        """SELECT statement_line_id, allocation FROM otc_cash_suggestion
            WHERE statement_line_id = ANY(%s) AND state = 'proposed'
            ORDER BY statement_line_id, sequence, id""",
        [line_ids],
    )
    proposed = {}
    for line_id, allocation in cr.fetchall():
        proposed.setdefault(line_id, []).append(allocation or [])
    decisions, applied = [], {}
    checks = {"auto_not_reconciled": 0, "auto_without_allocation": 0}
    for line_id in line_ids:
        state, reconciled, allocation, currency, kind = lines[line_id]
        auto = state == "auto"
        if auto and not reconciled:
            checks["auto_not_reconciled"] += 1
        if auto and not allocation:
            checks["auto_without_allocation"] += 1
        for aml, amount in allocation or []:
            key = (aml, currency)
            applied[key] = applied.get(key, 0.0) + amount
        decisions.append(
            SimpleNamespace(
                auto=auto,
                kind=kind,
                currency=currency,
                proposal=proposal(allocation or [], aml_item) if auto else None,
                suggestions=[
                    proposal(a, aml_item) for a in proposed.get(line_id, [])[:3]
                ],
            )
        )
    checks["states"] = {
        s: sum(1 for v in lines.values() if v[0] == s)
        for s in sorted({v[0] or "" for v in lines.values()})
    }
    return decisions, applied, checks


def check_over_applied(env, data, item_aml, applied):
    """Invoices with a negative residual, or more applied to them than they had open."""
    cr = env.cr
    cr.execute(
        """SELECT count(*) FROM account_move_line
            WHERE id = ANY(%s) AND (amount_residual < -0.005 OR amount_residual_currency < -0.005)""",
        [list(item_aml.values())],
    )
    negative = cr.fetchone()[0]
    by_id = {it.id: it for it in data.items}
    aml_item = {aml: item for item, aml in item_aml.items()}
    over, foreign = 0, 0
    for (aml, currency), amount in applied.items():
        it = by_id.get(aml_item.get(aml))
        if it is None:
            continue
        if it.currency and currency == it.currency:
            open_amount = it.residual_currency
        else:
            open_amount = it.residual
            foreign += bool(it.currency)
        over += amount > open_amount + 0.005
    return {"negative_residual": negative, "over_applied": over, "mixed": foreign}


def pass_database(args, registry):
    """A copy of the data set's database for a pass that commits (``CREATE DATABASE ... TEMPLATE``,
    a file copy: seconds); returns its registry. Dropped by ``drop_pass_database``."""
    name = f"{args.db}_pass"
    gen.drop_db(args, name)
    odoo.sql_db.close_db(args.db)  # a template has no other session
    cnx = gen.pg_connect(args)
    try:
        with cnx.cursor() as cr:
            cr.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(name), pgsql.Identifier(args.db)
                )
            )
    finally:
        cnx.close()
    log(f"measured pass in a copy of the database, {name}, committing each batch")
    return odoo.modules.registry.Registry(name)


def drop_pass_database(args, registry):
    name = registry.db_name
    odoo.modules.registry.Registry.delete(name)
    gen.drop_db(args, name)


def measure_pass(
    registry, args, dataset, data, profiler=None, keep=False, commit=False
):
    """One pass over the data set: timings, accuracy figures and checks.

    ``commit`` (in a copy of the database, see ``pass_database``): each batch commits as the
    scheduled job's do, and what is read afterwards is what was committed; otherwise the pass is one
    transaction, rolled back at the end (committed with ``keep``).
    """
    line_ids = dataset["line_ids"]
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        item_aml = receivable_map(env, data)
        dataset = shift_dates(env, dataset, item_aml)
        lost = None
        if commit:
            # the untouched data's offered discounts, before the pass consumes them
            lost = lost_discounts(env, data, item_aml)
            cr.commit()
        cr.execute(
            "SELECT count(*) FROM account_bank_statement_line WHERE id = ANY(%s) "
            "AND otc_match_state = 'todo' AND NOT is_reconciled",
            [line_ids],
        )
        todo = cr.fetchone()[0]
        if todo != len(line_ids):
            sys.exit(
                f"only {todo} of {len(line_ids)} lines are still to match (a --keep run "
                "consumed the data set): use --drop"
            )
        label = "profiled pass" if profiler else "measured pass"
        log(f"{label}: {len(line_ids)} lines in batches of {args.batch_size}")
        timing = timed_region(env, line_ids, args.batch_size, profiler, commit=commit)
        log(
            f"{label}: {timing['total']:.1f} s (session {timing['session']:.1f} s, "
            f"engine {timing['engine']:.1f} s, apply {timing['apply']:.1f} s), {timing['stats']}"
        )
        aml_item = {aml: item for item, aml in item_aml.items()}
        decisions, applied, checks = collect(env, line_ids, aml_item)
        checks.update(check_over_applied(env, data, item_aml, applied))
        figures = ma.evaluate(data.cases, data.truths, decisions)
        checks["wrong"] = wrong_autos(data, decisions)
        if commit:
            checks["lost"] = lost
        elif keep:
            cr.commit()
            log("measured pass committed (--keep)")
        else:
            cr.rollback()
            checks["lost"] = lost_discounts(env, data, item_aml)
    return timing, figures, checks


def wrong_autos(data, decisions, limit=15):
    """Markdown rows describing the first wrong automatic reconciliations."""
    rows = []
    for n, (case, truth, decision) in enumerate(
        zip(data.cases, data.truths, decisions)
    ):
        if not decision.auto or ma.is_right(decision.proposal, truth):
            continue
        line = data.lines[n]
        got = ", ".join(f"{i}: {a:g}" for i, a in decision.proposal.allocations)
        want = ", ".join(f"{i}: {a:g}" for i, a in (truth or {}).items()) or "nothing"
        paid = f"{line.amount:g}" + (
            f" ({line.amount_currency:g} {line.currency})" if line.currency else ""
        )
        rows.append(
            f"| {n} | {case} | {paid} | {want} | {got} {decision.currency or ''} | "
            f"{decision.kind} |"
        )
    return rows[:limit], len(rows)


def lost_discounts(env, data, item_aml):
    """(items, early-payment-discount lines): items with a discount the session does not offer.

    Read through ``_otc_open_items`` on the untouched data (after the pass is rolled back).
    """
    offered = {
        it.id: it.discount
        for it in env["account.bank.statement.line"]._otc_open_items(env.company)
    }
    items = {
        it.id
        for it in data.items
        if it.discount and not offered.get(item_aml.get(it.id), 0.0)
    }
    lines = sum(
        1
        for case, truth in zip(data.cases, data.truths)
        if case == "early-payment discount" and truth and set(truth) & items
    )
    return len(items), lines


def engine_reference(data, config):
    """The engine alone on the generated data, like the session: same configuration, the items of
    each automatic match consumed before the next line (``Matcher.apply``)."""
    m = ma.load_engine("matching")
    cfg = m.MatchConfig(**dataclasses.asdict(config))
    t0 = time.perf_counter()
    matcher = m.Matcher(data.items, data.known, cfg)
    t1 = time.perf_counter()
    decisions = []
    for line in data.lines:
        decision = matcher.match_and_decide(line)[1]
        if decision.auto and decision.proposal:
            matcher.apply(decision.proposal)
        decisions.append(decision)
    t2 = time.perf_counter()
    return ma.evaluate(data.cases, data.truths, decisions), t1 - t0, t2 - t1


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def pct(v):
    return "-" if v is None else f"{100 * v:.2f} %"


def case_order(figures):
    known = [c for c, _w in getattr(getattr(ma, "Generator", None), "CASES", [])]
    rest = sorted(k for k in figures if k not in known and k != "overall")
    return [k for k in known if k in figures] + rest + ["overall"]


def accuracy_table(figures, reference=None):
    head = "| case | lines | auto precision | auto share | top-3 of the rest | wrong autos |"
    sep = "|---|---:|---:|---:|---:|---:|"
    if reference:
        head += " engine alone: precision / auto share / top-3 |"
        sep += "---|"
    out = [head, sep]
    for key in case_order(figures):
        f = figures[key]
        name = f"**{key}**" if key == "overall" else key
        row = (
            f"| {name} | {f['lines']} | {pct(f['precision'])} | {pct(f['auto_share'])} | "
            f"{pct(f['top3_rest'])} | {f['wrong_auto']} |"
        )
        if reference:
            r = reference.get(key)
            row += (
                f" {pct(r['precision'])} / {pct(r['auto_share'])} / {pct(r['top3_rest'])} |"
                if r
                else " - |"
            )
        out.append(row)
    return out


def timing_table(t, n_lines):
    batches = t["batches"]
    rate = n_lines / t["total"] if t["total"] else 0.0
    verdict = "met" if t["total"] <= TARGET_S else "**not met**"
    rows = [
        (
            "**total: session + matching + reconciliation, flushed**",
            f"{t['total']:.1f} s",
            f"≤ {TARGET_S:g} s ({verdict})",
        ),
        (
            "session build (`_otc_session`: open items, known payers, index)",
            f"{t['session']:.1f} s",
            "",
        ),
        ("engine (`match_and_decide`, all lines)", f"{t['engine']:.1f} s", ""),
        (
            f"reconciliation (`_otc_apply`, {t['apply_calls']} calls)",
            f"{t['apply']:.1f} s",
            "",
        ),
        ("flush at the end of each batch", f"{t['flush']:.1f} s", ""),
        ("rest (locks, suggestions, states, summaries)", f"{t['other']:.1f} s", ""),
        ("**lines per second** (total)", f"{rate:.0f}", ""),
        (
            f"batch of {len(batches) and round(n_lines / len(batches))} lines: min / median / max",
            f"{min(batches):.2f} / {statistics.median(batches):.2f} / {max(batches):.2f} s",
            "",
        ),
        ("SQL queries / their time", f"{t['sql_count']} / {t['sql_s']:.1f} s", ""),
        (
            "outcome: auto / suggested / unmatched",
            " / ".join(str(t["stats"][k]) for k in ("auto", "suggested", "unmatched")),
            "",
        ),
    ]
    out = ["| Measure | value | target |", "|---|---:|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return out


def report(args, dataset, data, timing, figures, checks, reference):
    gen = dataset.get("gen_timings") or {}
    cfg = timing["config"]
    out = [
        "## Cash application benchmark",
        "",
        f"`python3 benchmarks/bench_cash.py {' '.join(sys.argv[1:])}`".replace(
            " `", "`"
        ),
        (
            f"on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, PostgreSQL on the same machine, "
            f"Odoo {odoo.release.version}; data set (`matching_accuracy.build_dataset`, seed "
            f"{args.seed}): {len(data.lines)} statement lines against {len(data.items)} open items "
            f"({timing['items']} open receivable items in the session), "
            f"{len(data.customers())} customers, {len(data.known.accounts)} known payer accounts, "
            f"{len(data.known.names)} learned payer names; batches of {args.batch_size} lines"
            + (
                ", each in a savepoint of one transaction; "
                if args.in_transaction or args.keep
                else ", each committed (in a copy of the database); "
            )
            + f"company settings: threshold {100 * cfg.auto_threshold:g} %, write-off limit "
            f"{cfg.writeoff_limit:g}, fee tolerance {cfg.fee_tolerance_pct:g} % / "
            f"{cfg.fee_tolerance_abs:g}."
        ),
        "",
        "### Time",
        "",
        *timing_table(timing, len(data.lines)),
        "",
        "### Accuracy (from what Odoo stored)",
        "",
        *accuracy_table(figures, reference and reference[0]),
        "",
        "Checks: "
        f"{checks['auto_not_reconciled']} automatically matched line(s) not reconciled, "
        f"{checks['auto_without_allocation']} without an allocation; "
        f"{checks['negative_residual']} invoice(s) with a negative residual, "
        f"{checks['over_applied']} with more applied than they had open; "
        f"line states: {checks['states']}.",
    ]
    out += [
        "",
        "Heaviest SQL statements of the timed region (total time, count, statement):",
        "",
        *(
            f"- {total:.2f} s, {cnt} x `{query[:160]}`"
            for total, cnt, query in timing["sql_top"]
        ),
    ]
    wrong, n_wrong = checks["wrong"]
    if wrong:
        out += [
            "",
            f"Wrong automatic reconciliations ({n_wrong}; item ids of the generator):",
            "",
            "| line | case | paid | truth | reconciled with | kind |",
            "|---:|---|---:|---|---|---|",
            *wrong,
        ]
    if reference:
        _ref, t_index, t_match = reference
        out += [
            "",
            "Engine alone (same data and configuration, automatic matches consumed as in the "
            f"session, no database): index {t_index:.1f} s, "
            f"matching {t_match:.1f} s = {len(data.lines) / t_match:.0f} lines/s.",
        ]
    lost = checks.get("lost")
    if lost and lost[0]:
        out += [
            "",
            f"Note: the session offers no early-payment discount for {lost[0]} open items that "
            f"have one (`_otc_open_items`); {lost[1]} of the 'early-payment discount' lines pay "
            "one of them and cannot be read as discounted payments.",
        ]
    if gen:
        out += [
            "",
            "Data generation: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in gen.items())
            + ".",
        ]
    text = "\n".join(out) + "\n"
    print("\n" + text, flush=True)
    Path(args.output).write_text(text)
    log(f"results written to {args.output}")


def write_profile(args, profiler, timing):
    buf = io.StringIO()
    buf.write(
        f"cProfile of the timed region of benchmarks/bench_cash.py ({' '.join(sys.argv[1:])}), "
        f"{time.strftime('%Y-%m-%d')}\n"
        f"profiled pass: total {timing['total']:.1f} s, session {timing['session']:.1f} s, "
        f"engine {timing['engine']:.1f} s, _otc_apply {timing['apply']:.1f} s, "
        f"flush {timing['flush']:.1f} s, SQL {timing['sql_s']:.1f} s in {timing['sql_count']} "
        "queries (times inflated by the profiler)\n\n"
        "== top 30 by cumulative time ==\n"
    )
    stats = pstats.Stats(profiler, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(30)
    buf.write("\n== top 30 by own time ==\n")
    stats.sort_stats("tottime").print_stats(30)
    buf.write("\n== what the reconciliation calls ==\n")
    stats.sort_stats("cumulative").print_callees(r"\(_otc_apply\)|\(_reconcile_plan\)")
    if args.profile_raw:
        profiler.dump_stats(args.profile_raw)
    Path(args.profile_output).write_text(buf.getvalue())
    log(f"profile written to {args.profile_output}")


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def load_dataset(env, args, data):
    raw = env["ir.config_parameter"].sudo().get_param(DATASET_PARAM)
    if raw:
        dataset = json.loads(raw)
        log(f"reusing the data set generated on {dataset['generated']}")
        asked = {"lines": args.lines, "items": args.items, "seed": args.seed}
        if any(dataset[k] != v for k, v in asked.items()):
            sys.exit(
                f"the data set was built with other sizes than {asked}: use --drop"
            )
        if dataset["fingerprint"] != data.fingerprint:
            sys.exit(
                "matching_accuracy.build_dataset generates other data than the stored data set "
                "(the generator changed): use --drop"
            )
        return dataset
    env.cr.execute(
        "SELECT count(*) FROM res_partner WHERE name = %s", [TEMPLATE_PARTNER]
    )
    if env.cr.fetchone()[0]:
        sys.exit(
            f"database {args.db!r} holds an incomplete data set (an earlier run failed): use --drop"
        )
    log("generating the data set")
    dataset = generate(env, args, data)
    vacuum(args, "")
    return dataset


def main(argv=None):
    args = parse_args(argv)
    gen.setup_odoo_config(args)
    registry = gen.open_registry(args, MODULES)
    data = Data(args)
    log(
        f"generator: {len(data.lines)} lines, {len(data.items)} items in {data.seconds:.1f} s"
    )
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        dataset = load_dataset(env, args, data)
    if args.no_measure:
        return
    if args.profile:
        profiler = cProfile.Profile()
        timing, *_rest = measure_pass(registry, args, dataset, data, profiler=profiler)
        write_profile(args, profiler, timing)
        vacuum(args, PASS_TABLES)
    commit = not (args.keep or args.in_transaction)
    pass_registry = pass_database(args, registry) if commit else registry
    try:
        timing, figures, checks = measure_pass(
            pass_registry, args, dataset, data, keep=args.keep, commit=commit
        )
    finally:
        if commit:
            drop_pass_database(args, pass_registry)
    reference = None
    if not args.no_engine:
        log("engine alone on the same data (reference)")
        reference = engine_reference(data, timing["config"])
    report(args, dataset, data, timing, figures, checks, reference)
    if args.in_transaction:
        vacuum(args, PASS_TABLES)


if __name__ == "__main__":
    main()
