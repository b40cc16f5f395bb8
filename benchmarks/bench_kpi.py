"""Benchmark of the receivables KPIs, snapshots and payment predictions of ``otc_collections``.

This is a benchmark script, not a unit test: it builds (or reuses) a dedicated database with
``otc_order_to_cash`` and ``otc_collections`` (no demo data), fills it with two years of
receivables and measures what the Receivables Dashboard, the daily snapshot, the month-end
backfill and the payment predictions cost on it.

It reuses ``benchmarks/generator.py`` for the database and Odoo set-up, the chart of accounts, the
bulk SQL invoices (``generator.bulk_paid_invoices``: invoices with their payment entries and
reconciliations) and the measuring helpers.

Data set (generated once, kept for ``--reuse``; every row of the bulk part made by set-based
``INSERT ... SELECT`` over ``generate_series``, seeded with ``setseed``):

* ``--customers`` (20,000) company customers (ORM), spread over 5 countries and 10 salespeople,
  a quarter tagged "Bench Key Account", one in ten with the benchmark collector as their own
  collector; each with a payment habit: mean days late drawn in -5..40, spread 0..15 days;
* ``--invoices`` (530,000) posted customer invoices dated over the last ``--months`` (24) months,
  30-day terms, 50 to 5,000 in the company currency (every customer has at least one). Each is
  paid on due date + the customer's habit: 4 % never, 6 % in part (30 to 80 %), the rest in full;
  an invoice whose payment date is still to come is open. A paid invoice has a payment entry in
  the bank journal (receivable credit, bank debit), the ``account_partial_reconcile`` between the
  two receivable items (``max_date`` the payment date) and, when paid in full, the
  ``account_full_reconcile``, residuals, matching numbers and payment state as Odoo's
  reconciliation leaves them (checked against the ORM on a sample of each payment state);
* so about 1,000,000 receivable journal items (invoices' and payments' receivable lines; twice
  that in journal items).

Measurements (as superuser; rolled back unless said, so ``--reuse`` measures the same again):

a. the dashboard: ``otc.receivable.kpi.otc_dashboard_data(date_from, date_to)``, the one call the
   Receivables Dashboard client action makes (the KPI cards with the previous period, aging, top
   overdue, DSO trend from the snapshots, cash-in forecast from the predictions, ratios,
   collectors, worsening payers), for the last full quarter, ``--runs`` (5) after one warm-up;
   then the same with the salesperson filter; the default period (3 months to today) with its
   two past dates rebuilt from the ledger, then with their snapshots (committed, as the daily
   job leaves them: "a running database"), then after a morning's work (``--morning`` receipts
   dated yesterday applied and a tenth as many invoices dated yesterday posted, appended to the
   open month's summary; rolled back); and ``action_compute()`` alone (the KPI screen);
b. one daily snapshot: ``otc.receivable.snapshot._otc_take(company, today)``;
c. the backfill of the 24 month-ends: ``_otc_backfill(company)`` (run once, committed: the
   dashboard's DSO trend reads it; the month-ends are deleted first);
c'. the monthly summary of credit sales and collections of the closed months:
   ``otc.receivable.month._otc_build_missing(company)`` (deleted first, run once, committed:
   the dashboard reads it);
d. the predictions of all open invoices: ``otc.payment.prediction._otc_predict_company(company)``
   (the last run committed: the dashboard's forecast reads the forecast it stores).

Results are printed as a markdown table and written to ``benchmarks/results_kpi.md`` with the
machine's load average before and after the measures. Timings are wall-clock.

Usage (PostgreSQL reachable with the ``odoo`` role, Odoo importable by ``python3``)::

    python3 benchmarks/bench_kpi.py                # create otc_bench_kpi, generate, measure
    python3 benchmarks/bench_kpi.py --reuse        # reuse the database and its data set
    python3 benchmarks/bench_kpi.py --drop         # drop and rebuild the database first

    Options: --db NAME --runs 5 --customers 20000 --invoices 530000 --months 24
             --db-user odoo (or $OTC_DB_USER) --db-host 127.0.0.1 --db-port 5432
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

from dateutil.relativedelta import relativedelta

import odoo
from odoo import SUPERUSER_ID, api

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generator as gen  # noqa: E402

log = gen.log
RESULTS_FILE = Path(__file__).resolve().parent / "results_kpi.md"
DATASET_PARAM = "otc_bench_kpi.dataset"
MODULES = ["otc_order_to_cash", "otc_collections"]
COLLECTOR_GROUP = "otc_order_to_cash.group_otc_collector"
SALESMAN_GROUP = "sales_team.group_sale_salesman"
TARGETS = {"dashboard": 1.0, "snapshot": 30.0, "backfill": 600.0, "predict": 30.0}
VACUUM_TABLES = (
    "account_move, account_move_line, account_partial_reconcile, account_full_reconcile, "
    "res_partner, otc_receivable_snapshot, otc_payment_prediction, "
    "otc_open_item_summary, otc_open_item_delta, otc_receivable_month"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen.add_database_arguments(p, "otc_bench_kpi")
    p.add_argument("--runs", type=int, default=5, help="measured dashboard runs")
    p.add_argument(
        "--morning",
        type=int,
        default=300,
        help="receipts dated yesterday applied before the 'morning' measure",
    )
    p.add_argument("--customers", type=int, default=20000)
    p.add_argument("--invoices", type=int, default=530000)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--log-level", default="warn", help="Odoo log level")
    p.add_argument("--log-sql", action="store_true", help="log every SQL query")
    p.add_argument("--output", default=str(RESULTS_FILE), help="markdown results file")
    p.add_argument(
        "--no-measure", action="store_true", help="only build the database and data set"
    )
    p.add_argument(
        "--skip-backfill",
        action="store_true",
        help="keep the month-end snapshots already there (no backfill measure)",
    )
    return p.parse_args(argv)


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------------------------------
# Data generation
# --------------------------------------------------------------------------------------------------


def generate(env, args, rng):
    """Generate the data set; commit; return (dataset, timings per phase)."""
    cr = env.cr
    timings = {}
    t_all = t0 = time.perf_counter()
    env = gen.quiet_env(env)
    company = env.company
    today = datetime.date.today()
    product = gen.make_product(env, "Bench KPI Product")
    salespeople = [
        gen.make_user(env, f"otc_bench_kpi_sales_{i}", [SALESMAN_GROUP])
        for i in range(10)
    ]
    collector = gen.make_user(env, "otc_bench_kpi_collector", [COLLECTOR_GROUP])
    tag = env["res.partner.category"].create({"name": "Bench Key Account"})
    customers = gen.make_customers(
        env,
        "KPI",
        args.customers,
        lambda i: {
            "user_id": salespeople[i % len(salespeople)].id,
            "category_id": [(6, 0, [tag.id])] if i % 4 == 0 else [],
        },
    )
    env.flush_all()
    key = str(company.id)
    cr.execute(
        "UPDATE res_partner SET otc_collector_id = COALESCE(otc_collector_id, '{}'::jsonb)"
        " || jsonb_build_object(%s, %s) WHERE id = ANY(%s)",
        [key, collector.id, customers.ids[::10]],
    )
    timings["customers (ORM)"] = time.perf_counter() - t0
    log(f"{len(customers)} customers in {timings['customers (ORM)']:.1f} s")

    t0 = time.perf_counter()
    term = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
    tmpl_moves = gen.make_template_invoices(env, customers[:2], product, term)
    bank = env["account.journal"].search(
        [
            *env["account.journal"]._check_company_domain(company),
            ("type", "=", "bank"),
        ],
        limit=1,
    )
    pay_moves = gen.make_template_payments(env, customers[:2], bank)
    cr.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000.0])
    cr.execute(
        """CREATE TEMP TABLE bench_cust AS
           SELECT row_number() OVER (ORDER BY p.id)::int AS idx, p.id AS partner_id,
                  p.name AS display_name,
                  -5 + floor(random() * 46)::int AS mean_late,
                  floor(random() * 16)::int AS spread
             FROM res_partner p WHERE p.id = ANY(%s)""",
        [customers.ids],
    )
    cr.execute(
        """CREATE TEMP TABLE bench_raw AS
           SELECT g AS seq,
                  CASE WHEN g <= %(customers)s THEN g
                       ELSE 1 + floor(random() * %(customers)s)::int END AS cidx,
                  %(today)s::date - floor(random() * %(days)s)::int AS inv_date,
                  round((50 + random() * 4950)::numeric, 2) AS amount,
                  random() AS u, random() AS u2, random() AS u3
             FROM generate_series(1, %(n)s) g""",
        {
            "customers": len(customers),
            "today": today,
            "days": (today - (today - relativedelta(months=args.months))).days,
            "n": args.invoices,
        },
    )
    cr.execute(
        """CREATE TEMP TABLE bench_inv AS
           SELECT r.seq, c.partner_id, c.partner_id AS commercial_id, c.display_name,
                  r.inv_date, r.amount,
                  CASE WHEN r.u < 0.04 OR d.pay_date > %(today)s THEN 0.0
                       WHEN r.u < 0.10 THEN round(r.amount * (0.3 + 0.5 * r.u3)::numeric, 2)
                       ELSE r.amount END AS paid_amount,
                  d.pay_date
             FROM bench_raw r
             JOIN bench_cust c ON c.idx = r.cidx
             CROSS JOIN LATERAL (
                 SELECT GREATEST(r.inv_date, r.inv_date + 30 + c.mean_late
                        + round((r.u2 - 0.5) * 2 * c.spread)::int) AS pay_date) d""",
        {"today": today},
    )
    gen.bulk_paid_invoices(env, tmpl_moves, pay_moves, "bench_inv")
    cr.execute(
        """SELECT count(*), count(*) FILTER (WHERE paid_amount >= amount),
                  count(*) FILTER (WHERE paid_amount > 0 AND paid_amount < amount)
             FROM bench_inv"""
    )
    invoices, paid, partial = cr.fetchone()
    cr.execute("DROP TABLE bench_inv, bench_raw, bench_cust")
    env.invalidate_all()
    cr.commit()
    timings["invoices and payments (SQL)"] = time.perf_counter() - t0
    log(
        f"{invoices} invoices ({paid} paid, {partial} partly paid) with their payments in "
        f"{timings['invoices and payments (SQL)']:.1f} s"
    )
    gen.check_bulk_invoices(env, rng, states=("not_paid", "partial", "paid"))
    cr.execute(
        "SELECT id FROM account_move WHERE name LIKE %s ORDER BY random() LIMIT 20",
        [gen.PAYMENT_PREFIX + "%"],
    )
    payments = env["account.move"].browse([r[0] for r in cr.fetchall()])
    gen.report_consistency(payments, *gen.compare_with_orm(env, payments))

    dataset = {
        "customers": args.customers,
        "invoices": args.invoices,
        "months": args.months,
        "salesperson_id": salespeople[0].id,
        "collector_id": collector.id,
        "tag_id": tag.id,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    timings["total"] = time.perf_counter() - t_all
    dataset["gen_timings"] = timings
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    cr.commit()
    log(f"data set generated in {timings['total']:.1f} s")
    return dataset, timings


def dataset_summary(cr):
    cr.execute(
        """SELECT count(*) FILTER (WHERE m.move_type = 'out_invoice'),
                  count(*) FILTER (WHERE m.move_type = 'out_invoice' AND m.payment_state = 'paid'),
                  count(*) FILTER (WHERE m.move_type = 'out_invoice' AND m.payment_state = 'partial'),
                  count(*) FILTER (WHERE m.move_type = 'out_invoice' AND m.payment_state = 'not_paid'),
                  count(*) FILTER (WHERE m.move_type = 'entry'),
                  min(m.invoice_date), max(m.invoice_date)
             FROM account_move m WHERE m.state = 'posted'"""
    )
    inv, paid, partial, open_, entries, first, last = cr.fetchone()
    cr.execute(
        """SELECT count(*) FROM account_move_line l
             JOIN account_account a ON a.id = l.account_id
            WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'"""
    )
    receivable = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM account_move_line")
    lines = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM account_partial_reconcile")
    partials = cr.fetchone()[0]
    cr.execute(
        "SELECT count(DISTINCT commercial_partner_id) FROM account_move WHERE move_type = 'out_invoice'"
    )
    customers = cr.fetchone()[0]
    return (
        f"{customers} customers; {inv} posted customer invoices dated {first} to {last} "
        f"({paid} paid, {partial} partly paid, {open_} open), {entries} payment entries, "
        f"{partials} partial reconciliations; **{receivable} receivable journal items** "
        f"({lines} journal items in all)"
    )


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def timed(env, func, runs, warmup=0, commit_last=False):
    """[seconds] of ``runs`` calls of ``func()`` after ``warmup`` ones, each rolled back
    (the last one committed with ``commit_last``); with the query count of the last."""
    times, queries, result = [], 0, None
    for i in range(warmup + runs):
        env.invalidate_all()
        recorder = gen.QueryRecorder()
        with recorder:
            recorder.active = True
            t0 = time.perf_counter()
            result = func()
            env.flush_all()
            elapsed = time.perf_counter() - t0
            recorder.active = False
        if i >= warmup:
            times.append(elapsed)
            queries = len(recorder.queries)
        if commit_last and i == warmup + runs - 1:
            env.cr.commit()
        else:
            env.cr.rollback()
    return times, queries, result


def measure(registry, args, dataset, gen_timings):
    table = [
        "| Measure | median | min | max | runs | SQL queries | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    verdicts = {}

    def row(name, values, queries, target_key=None):
        st = gen.stats(values)
        target = ""
        if target_key:
            ok = st["median"] <= TARGETS[target_key]
            verdicts[target_key] = ok and verdicts.get(target_key, True)
            target = f"≤ {TARGETS[target_key]:g} s {'✅' if ok else '❌ missed'}"
        table.append(
            f"| {name} | {st['median']:.2f} s | {st['min']:.2f} s | {max(values):.2f} s | "
            f"{st['n']} | {queries} | {target} |"
        )

    loads = {"before": load()}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        summary = dataset_summary(cr)
        Snapshot = env["otc.receivable.snapshot"]
        today = datetime.date.today()

        log("measuring one daily snapshot (3 runs)")
        times, q, rows = timed(env, lambda: Snapshot._otc_take(company, today), 3)
        row(
            f"one daily snapshot `_otc_take(company, today)` ({rows} rows)",
            times,
            q,
            "snapshot",
        )

        if not args.skip_backfill:
            cr.execute(
                "DELETE FROM otc_receivable_snapshot WHERE company_id = %s",
                [company.id],
            )
            cr.commit()
            log("measuring the 24-month backfill (1 run, committed)")
            times, q, report = timed(
                env, lambda: Snapshot._otc_backfill(company), 1, commit_last=True
            )
            cr.execute(
                "SELECT count(DISTINCT snapshot_date), count(*) FROM otc_receivable_snapshot"
            )
            dates, rows = cr.fetchone()
            row(
                f"backfill of the month-ends `_otc_backfill(company)` ({dates} month-ends, "
                f"{rows} rows)",
                times,
                q,
                "backfill",
            )
        Month = env["otc.receivable.month"]
        cr.execute(
            "DELETE FROM otc_receivable_month WHERE company_id = %s", [company.id]
        )
        cr.commit()
        log("measuring the monthly summary of the closed months (1 run, committed)")
        times, q, rows = timed(
            env, lambda: Month._otc_build_missing(company), 1, commit_last=True
        )
        row(
            f"monthly summary of the closed months `otc.receivable.month._otc_build_missing`"
            f" ({rows} rows)",
            times,
            q,
        )
        Prediction = env["otc.payment.prediction"]
        log("measuring the predictions (1 warm-up + 3 runs, the last committed)")
        times, q, n = timed(
            env, lambda: Prediction._otc_predict_company(company), 3, 1, True
        )
        row(
            f"predictions of all open invoices `_otc_predict_company(company)` ({n} invoices)",
            times,
            q,
            "predict",
        )
        gen.vacuum(
            args,
            "otc_payment_prediction, otc_receivable_snapshot, otc_receivable_month",
        )

        Kpi = env["otc.receivable.kpi"]
        last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
        date_from = (last_month_end - relativedelta(months=2)).replace(day=1)
        period = (str(date_from), str(last_month_end))
        log(f"measuring the dashboard for {period} (1 warm-up + {args.runs} runs)")
        times, q, data = timed(
            env, lambda: Kpi.otc_dashboard_data(*period), args.runs, 1
        )
        row(
            f"**dashboard** `otc_dashboard_data({period[0]}, {period[1]})`, whole company",
            times,
            q,
            "dashboard",
        )
        times, q, _data = timed(
            env,
            lambda: Kpi.otc_dashboard_data(
                *period, salesperson_id=dataset["salesperson_id"]
            ),
            args.runs,
            1,
        )
        row("dashboard, one salesperson's customers", times, q)
        # The past dates the default period reads (its opening, the previous
        # period's): a running database has the daily snapshot of each
        Model = type(Kpi)
        own_open_sql = Model._otc_open_sql
        asked = set()

        def spy(report, as_of):
            asked.add(as_of)
            return own_open_sql(report, as_of)

        Model._otc_open_sql = spy
        try:
            Kpi.otc_dashboard_data()
        finally:
            Model._otc_open_sql = own_open_sql
        cr.rollback()
        past = sorted(d for d in asked if d < today)
        # first without them (an earlier run committed them), rebuilt from
        # the ledger; the backfill's month-ends stay
        cr.execute(
            "DELETE FROM otc_receivable_snapshot WHERE company_id = %s"
            " AND snapshot_date = ANY(%s)"
            " AND snapshot_date <> (date_trunc('month', snapshot_date)"
            " + interval '1 month - 1 day')::date",
            [company.id, past],
        )
        cr.commit()
        times, q, _data = timed(env, lambda: Kpi.otc_dashboard_data(), 3, 1)
        row(
            "dashboard, default period (3 months to today: dates without a snapshot, "
            "rebuilt from the ledger)",
            times,
            q,
        )
        # then as the daily job left them (committed: each run rolls back)
        cr.execute(
            "SELECT DISTINCT snapshot_date FROM otc_receivable_snapshot"
            " WHERE company_id = %s",
            [company.id],
        )
        have = {d for (d,) in cr.fetchall()}
        missing = [d for d in past if d not in have]
        for day in missing:
            Snapshot._otc_take(company, day)
        cr.commit()
        times, q, _data = timed(env, lambda: Kpi.otc_dashboard_data(), 3, 1)
        row(
            "dashboard, default period on a running database (the daily snapshots "
            f"of the {len(past)} past dates it reads taken, as the daily job "
            "would have)",
            times,
            q,
            "dashboard",
        )
        # the same after a morning's work: yesterday's receipts applied to
        # open invoices and invoices dated yesterday posted, both on the open
        # month's summarised days (delta rows appended), measured in one
        # transaction rolled back at the end
        yesterday = today - datetime.timedelta(days=1)
        open_invoices = env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("invoice_date", "<", yesterday),
            ],
            limit=args.morning,
            order="id",
        )
        log(f"a morning's work: {len(open_invoices)} receipts dated {yesterday}")
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=open_invoices.ids
        ).create({"payment_date": yesterday, "group_payment": False})._create_payments()
        drafts = open_invoices[: max(1, args.morning // 10)].copy(
            {"invoice_date": yesterday, "date": yesterday}
        )
        drafts.action_post()
        env.flush_all()
        cr.execute(
            "SELECT count(*) FROM otc_receivable_month WHERE company_id = %s AND delta",
            [company.id],
        )
        deltas = cr.fetchone()[0]
        morning = []
        for i in range(4):
            env.invalidate_all()
            t0 = time.perf_counter()
            Kpi.otc_dashboard_data()
            env.flush_all()
            if i:
                morning.append(time.perf_counter() - t0)
        cr.rollback()
        row(
            f"dashboard, default period on a running database after a morning's "
            f"work ({len(open_invoices)} receipts and {len(drafts)} invoices dated "
            f"yesterday: {deltas} delta rows in the open month's summary)",
            morning,
            "-",
            "dashboard",
        )

        def compute():
            report = Kpi.create({"date_from": period[0], "date_to": period[1]})
            return report.action_compute()

        times, q, _r = timed(env, compute, args.runs, 1)
        row("KPI screen `action_compute()` (period and previous period)", times, q)
        cr.rollback()
    loads["after"] = load()
    cards = ", ".join(
        f"{c['label']} {c['value']:.1f}"
        for c in data["cards"]
        if c["value"] is not None
    )
    out = [
        "## Receivables KPIs, snapshots and predictions benchmark",
        "",
        f"`python3 benchmarks/bench_kpi.py {' '.join(sys.argv[1:])}`".replace(
            " `", "`"
        ),
        (
            f"on {time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, PostgreSQL on the "
            f"same machine, Odoo {odoo.release.version}; load average (1/5/15 min) "
            f"{loads['before']} before the measures, {loads['after']} after (other work "
            "shared the 2 cores). Data set: "
            f"{summary}."
        ),
        "",
        *table,
        "",
        f"Dashboard figures of the period: {cards}; receivables at its end "
        f"{data['closing_ar']:,.2f}; {len(data['forecast'])} forecast weeks.",
    ]
    gen_timings = gen_timings or dataset.get("gen_timings")
    if gen_timings:
        out += [
            "",
            f"Data generation (on {dataset['generated']}): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in gen_timings.items())
            + ".",
        ]
    text = "\n".join(out) + "\n"
    print("\n" + text, flush=True)
    Path(args.output).write_text(text)
    log(f"results written to {args.output}")
    return verdicts


def main(argv=None):
    args = parse_args(argv)
    registry, dataset, gen_timings = gen.open_dataset(
        args,
        MODULES,
        DATASET_PARAM,
        generate,
        after=gen.fold_open_items,
        vacuum_tables=VACUUM_TABLES,
    )
    if not args.no_measure:
        measure(registry, args, dataset, gen_timings)


if __name__ == "__main__":
    main()
