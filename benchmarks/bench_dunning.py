"""Benchmark of the dunning run and the collector worklist of ``otc_collections``.

This is a benchmark script, not a unit test: it builds (or reuses) a dedicated database with
``otc_order_to_cash`` and ``otc_collections`` (no demo data), fills it with a large volume of overdue
receivables, and measures a full dunning run and the opening of a collector's worklist.

It reuses ``benchmarks/generator.py`` for the database and Odoo set-up,
the chart of accounts, the bulk SQL invoices and the measuring helpers.

Data set (generated once, kept for ``--reuse``):

* ``--customers`` (5,000) company customers (email, country);
* ``--items`` (100,000) posted open customer invoices spread over them (every customer has at
  least one), ALL overdue: due 5 to 200 days ago, 50 to 5,000 in the company currency. Two are
  made and posted through the ORM, the others mirror their SQL rows (``generator.bulk_invoices``:
  one product line and one receivable line each, no taxes); plain INSERTs, so the
  ``otc_open_item_summary`` trigger keeps the open-item summary up to date as for ORM invoices;
* a dunning policy "Bench Dunning", the company's default, with 3 levels: 10 days (email),
  30 days (email + SMS, fee 10), 60 days (email + letter + call, 8 % late interest, credit hold);
* a dunning history (company-dependent ``otc_dunning_level`` / ``otc_dunning_date``, jsonb, written
  in bulk SQL) for a third of the customers: level 1 (50 %), 2 (35 %) or 3 (15 %), reached 20 to 90
  days ago, so that a run moves customers to levels 1, 2 and 3 (and charges interest at level 3);
* two collectors (users in ``otc_order_to_cash.group_otc_collector``): ``--worklist-size`` (2,000)
  customers have the first one as their own collector (company-dependent ``otc_collector_id``,
  bulk SQL), the company's default collector (``otc_default_collector_id``) is the second one.

Measurements (as superuser, like the daily job; every run in a transaction rolled back afterwards,
so the data set is left untouched and ``--reuse`` measures the same thing again):

a. the full dunning run: ``otc.dunning.run.create({'company_id': ...})`` then ``run._run()`` (plus
   the final flush) timed: reads every open item, runs the engine, writes the communications with
   their lines and the customers' new level; communications are prepared, not sent (the policy has
   no ``auto_send``). ``--warmup`` (1) unmeasured run, then ``--runs`` (3). Reported: seconds,
   items read (``run.item_count``), communications and lines created, items/s = items / seconds;
b. ``run._preview()``: the engine alone, no writes;
c. ``otc.worklist._refresh(company)``: rebuild of the worklist (rolled back as well); then one more
   refresh is committed and ``otc_worklist`` vacuumed, as the hourly job and autovacuum leave it;
d. opening the first collector's worklist as that collector: ``web_search_read`` of
   ``[('collector_id', '=', uid)]`` with the fields of the worklist's list view
   (``bench_credit.list_specification``) and ``limit=2000``, median of ``--list-runs`` (20) after
   2 warm-up reads, caches invalidated before each; and the first page (80) with its count.

Results are printed as a markdown table and written to ``benchmarks/results_dunning.md``. With
``--explain``, the queries of the last measured dunning run taking most time and their
``EXPLAIN ANALYZE`` plans are added to that file, with the plan of its first INSERT of
communication lines (the time of each foreign-key trigger); with ``--profile``, one more dunning run is run
under cProfile and its top functions added as well. Timings are wall-clock: run it on an otherwise
idle machine for figures to publish.

Usage (PostgreSQL reachable with the ``odoo`` role, Odoo importable by ``python3``)::

    python3 benchmarks/bench_dunning.py                # create otc_bench_dunning, generate, measure
    python3 benchmarks/bench_dunning.py --reuse        # reuse the database and its data set
    python3 benchmarks/bench_dunning.py --drop         # drop and rebuild the database first
    python3 benchmarks/bench_dunning.py --reuse --explain --profile

    Options: --db NAME --runs 3 --warmup 1 --list-runs 20 --customers 5000 --items 100000
             --worklist-size 2000 --db-user odoo (or $OTC_DB_USER) --db-host 127.0.0.1 --db-port 5432
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from psycopg2.extras import execute_values

import odoo
from odoo import SUPERUSER_ID, api

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_credit as bc  # noqa: E402
import generator as gen  # noqa: E402

log = gen.log
RESULTS_FILE = Path(__file__).resolve().parent / "results_dunning.md"
DATASET_PARAM = "otc_bench_dunning.dataset"
MODULES = ["otc_order_to_cash", "otc_collections"]
COLLECTOR_LOGIN = "otc_bench_collector"
OTHER_COLLECTOR_LOGIN = "otc_bench_collector_other"
COLLECTOR_GROUP = "otc_order_to_cash.group_otc_collector"
TARGET_ITEMS_PER_S = 10_000
TARGET_WORKLIST_MS = 1000.0
LIST_WARMUP = 2
# what a run writes (then rolls back): vacuumed between runs, as autovacuum would, so that
# dead rows of a rolled-back run do not slow the next one down (index entries, estimates)
RUN_TABLES = (
    "otc_dunning_run, otc_dunning_communication, otc_dunning_communication_line, "
    "mail_message, mail_followers, res_partner, account_move_line, account_move"
)
VACUUM_TABLES = (
    RUN_TABLES + ", otc_open_item_summary, otc_open_item_delta, otc_worklist"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen.add_database_arguments(p, "otc_bench_dunning")
    p.add_argument("--runs", type=int, default=3, help="measured dunning runs")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured dunning runs")
    p.add_argument("--list-runs", type=int, default=20, help="measured list opens")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--items", type=int, default=100000)
    p.add_argument("--worklist-size", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE the heaviest queries of the dunning run",
    )
    p.add_argument(
        "--profile", action="store_true", help="cProfile one extra dunning run"
    )
    p.add_argument("--log-level", default="warn", help="Odoo log level")
    p.add_argument("--log-sql", action="store_true", help="log every SQL query")
    p.add_argument("--output", default=str(RESULTS_FILE), help="markdown results file")
    p.add_argument(
        "--no-measure", action="store_true", help="only build the database and data set"
    )
    return p.parse_args(argv)


# --------------------------------------------------------------------------------------------------
# Data generation
# --------------------------------------------------------------------------------------------------


def set_company_dependent(cr, field, company, values):
    """Write a company-dependent column (jsonb keyed by company id) for many partners at once.

    ``values``: [(partner id, value)]; ints and dates end up in the jsonb as the ORM stores them
    (``5``, ``"2025-01-31"``).
    """
    execute_values(
        cr._obj,
        f"""UPDATE res_partner p
               SET "{field}" = COALESCE(p."{field}", '{{}}'::jsonb)
                               || jsonb_build_object('{int(company.id)}', u.value)
              FROM (VALUES %s) AS u(pid, value)
             WHERE p.id = u.pid""",
        values,
        page_size=5000,
    )


def make_policy(env, company):
    level = {"min_amount": 10.0, "grace_days": 0}
    return env["otc.dunning.policy"].create(
        {
            "name": "Bench Dunning",
            "company_id": company.id,
            "auto_send": False,
            "level_ids": [
                (0, 0, {**level, "sequence": 1, "name": "First reminder", "days": 10}),
                (
                    0,
                    0,
                    {
                        **level,
                        "sequence": 2,
                        "name": "Second reminder",
                        "days": 30,
                        "channel_sms": True,
                        "fee_amount": 10.0,
                    },
                ),
                (
                    0,
                    0,
                    {
                        **level,
                        "sequence": 3,
                        "name": "Final notice",
                        "days": 60,
                        "channel_letter": True,
                        "channel_call": True,
                        "interest_rate": 8.0,
                        "credit_hold": True,
                    },
                ),
            ],
        }
    )


def generate(env, args, rng):
    """Generate the data set; commit; return (dataset, timings per phase)."""
    cr = env.cr
    timings = {}
    t_all = t0 = time.perf_counter()
    env = gen.quiet_env(env)
    company = env.company
    today = datetime.date.today()

    product = gen.make_product(env, "Bench Dunning Product")
    customers = gen.make_customers(env, "Dunning", args.customers)
    env.flush_all()
    timings["customers (ORM)"] = time.perf_counter() - t0
    log(f"{len(customers)} customers in {timings['customers (ORM)']:.1f} s")

    # Invoices: 2 ORM templates (due 10 and 110 days ago), the rest mirrored in SQL
    t0 = time.perf_counter()
    term = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
    tmpl_moves = gen.make_template_invoices(env, customers[:2], product, term)
    display = {p.id: p.display_name for p in customers}
    ids = customers.ids
    rows = []
    for seq in range(1, max(args.items - len(tmpl_moves), 0) + 1):
        # every customer gets one item, the others go to random customers
        pid = ids[seq - 1] if seq <= len(ids) else ids[rng.randrange(len(ids))]
        days_overdue = rng.randint(5, 200)
        inv_date = today - datetime.timedelta(days=days_overdue + 30)  # due +30 days
        amount = round(rng.uniform(50, 5000), 2)
        rows.append((seq, pid, pid, display[pid], inv_date, amount, False))
    gen.bulk_invoices(env, tmpl_moves, rows)
    env.invalidate_all()
    cr.commit()
    timings["invoices (SQL)"] = time.perf_counter() - t0
    log(
        f"{len(rows) + len(tmpl_moves)} posted open invoices in {timings['invoices (SQL)']:.1f} s"
    )
    gen.check_bulk_invoices(env, rng)

    # Dunning policy, histories, collectors
    t0 = time.perf_counter()
    policy = make_policy(env, company)
    company.otc_default_dunning_policy_id = policy
    history = []
    for pid in rng.sample(ids, len(ids) // 3):
        draw = rng.random()
        level = 1 if draw < 0.5 else 2 if draw < 0.85 else 3
        history.append((pid, level, today - datetime.timedelta(rng.randint(20, 90))))
    if history:
        set_company_dependent(
            cr, "otc_dunning_level", company, [(p, lvl) for p, lvl, _d in history]
        )
        set_company_dependent(
            cr, "otc_dunning_date", company, [(p, d) for p, _lvl, d in history]
        )
    collector = gen.make_user(env, COLLECTOR_LOGIN, [COLLECTOR_GROUP])
    other = gen.make_user(env, OTHER_COLLECTOR_LOGIN, [COLLECTOR_GROUP])
    company.otc_default_collector_id = other
    assigned = rng.sample(ids, min(args.worklist_size, len(ids)))
    set_company_dependent(
        cr, "otc_collector_id", company, [(pid, collector.id) for pid in assigned]
    )
    env.flush_all()
    env.invalidate_all()
    timings["policy, histories, collectors"] = time.perf_counter() - t0

    dataset = {
        "customers": args.customers,
        "items": args.items,
        "worklist_size": args.worklist_size,
        "customer_ids": ids,
        "policy_id": policy.id,
        "collector_id": collector.id,
        "other_collector_id": other.id,
        "histories": len(history),
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    timings["total"] = time.perf_counter() - t_all
    dataset["gen_timings"] = timings  # reported again by --reuse
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    cr.commit()
    log(f"data set generated in {timings['total']:.1f} s")
    return dataset, timings


def dataset_summary(cr, dataset, company):
    cr.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE payment_state = 'not_paid' AND invoice_date_due < current_date),
                  min(current_date - invoice_date_due), max(current_date - invoice_date_due)
             FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'"""
    )
    total, overdue, min_days, max_days = cr.fetchone()
    cr.execute("SELECT count(*) FROM account_move_line")
    lines = cr.fetchone()[0]
    key = str(company.id)
    cr.execute(
        "SELECT (otc_dunning_level ->> %s)::int, count(*) FROM res_partner "
        "WHERE otc_dunning_level ? %s GROUP BY 1 ORDER BY 1",
        [key, key],
    )
    levels = ", ".join(f"level {lvl}: {n}" for lvl, n in cr.fetchall())
    return (
        f"{len(dataset['customer_ids'])} customers; {total} posted customer invoices, {overdue} open and "
        f"overdue (due {min_days} to {max_days} days ago; {lines} journal items in all); dunning history "
        f"for {dataset['histories']} customers ({levels or 'none'}); {dataset['worklist_size']} customers "
        "with the benchmark collector as their own collector"
    )


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def run_figures(cr, run):
    cr.execute(
        """SELECT c.level_sequence, count(DISTINCT c.id), count(l.id),
                  COALESCE(sum(l.interest), 0), count(*) FILTER (WHERE l.interest > 0)
             FROM otc_dunning_communication c
             LEFT JOIN otc_dunning_communication_line l ON l.communication_id = c.id
            WHERE c.run_id = %s
            GROUP BY c.level_sequence ORDER BY 1""",
        [run.id],
    )
    by_level = cr.fetchall()
    cr.execute(
        "SELECT count(*) FROM otc_dunning_communication WHERE run_id = %s AND state = 'sent'",
        [run.id],
    )
    sent = cr.fetchone()[0]
    return {
        "items": run.item_count,
        "communications": sum(r[1] for r in by_level),
        "lines": sum(r[2] for r in by_level),
        "by_level": {r[0]: (r[1], r[2]) for r in by_level},
        "interest": float(sum(r[3] for r in by_level)),
        "interest_lines": sum(r[4] for r in by_level),
        "sent": sent,
        "state": run.state,
    }


def explain_line_insert(cr, recorder, details):
    """EXPLAIN ANALYZE of the run's first INSERT of communication lines, with its trigger times.

    The batch's lines are deleted first (in a savepoint) so that the INSERT is run again on the
    same communications; PostgreSQL reports the time of each foreign-key trigger separately.
    """
    found = [
        (delay, query, params)
        for delay, query, params in recorder.queries
        if "INSERT INTO otc_dunning_communication_line" in str(query)
    ]
    if not found:
        return
    delay, query, params = found[0]
    comm_ids = next((p for p in params if isinstance(p, list)), None)
    if not comm_ids:
        return
    cr.execute("SAVEPOINT bench_explain")
    try:
        cr.execute(
            "DELETE FROM otc_dunning_communication_line WHERE communication_id = ANY(%s)",
            [sorted(set(comm_ids))],
        )
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + str(query), params)
        plan = "\n".join(r[0] for r in cr.fetchall())
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
    details.append(
        f"\n### First INSERT of communication lines ({len(comm_ids)} lines, "
        f"{delay * 1000:.0f} ms in the run), run again under EXPLAIN ANALYZE\n"
    )
    details.append(f"```sql\n{' '.join(str(query).split())}\n```\n")
    details.append(f"Plan:\n\n```\n{plan}\n```")


def measure_dunning(env, company, args, recorder, details):
    """Full dunning runs (rolled back); returns (seconds, SQL seconds, queries, figures)."""
    cr = env.cr
    times, sql_times, queries, figures = [], [], [], None
    total = args.warmup + args.runs
    for i in range(total):
        measured = i >= args.warmup
        run = env["otc.dunning.run"].create({"company_id": company.id})
        env.flush_all()
        env.invalidate_all()
        recorder.queries.clear()
        n0 = cr.sql_log_count
        recorder.active = True
        t0 = time.perf_counter()
        run._run()
        env.flush_all()
        dt = time.perf_counter() - t0
        recorder.active = False
        nq = cr.sql_log_count - n0
        sql_s = sum(q[0] for q in recorder.queries)
        figures = run_figures(cr, run)
        if figures["sent"] or figures["state"] != "done":
            raise RuntimeError(f"unexpected run outcome: {figures}")
        log(
            f"  dunning run {i + 1}/{total}{'' if measured else ' (warm-up)'}: {dt:.2f} s "
            f"(SQL {sql_s:.2f} s, {nq} queries), {figures['items']} items, "
            f"{figures['communications']} communications, {figures['lines']} lines"
        )
        figures["statements"] = [
            (avg * cnt, cnt, " ".join(str(query).split())[:70])
            for avg, cnt, query, _params in recorder.slowest(5)
        ]
        if measured:
            times.append(dt)
            sql_times.append(sql_s)
            queries.append(nq)
            if args.explain and i == total - 1:
                lines_plan = []
                explain_line_insert(cr, recorder, lines_plan)
                bc.explain(cr, recorder, "Dunning run: heaviest queries", details)
                details.extend(lines_plan)
        recorder.queries.clear()
        cr.rollback()
        gen.vacuum(args, RUN_TABLES)
    return times, sql_times, queries, figures


def measure_preview(env, company, args):
    cr = env.cr
    times, moved = [], None
    for i in range(args.warmup + args.runs):
        run = env["otc.dunning.run"].create({"company_id": company.id})
        env.flush_all()
        env.invalidate_all()
        t0 = time.perf_counter()
        results = run._preview()
        dt = time.perf_counter() - t0
        moved = sum(1 for _policy, result in results.values() if result.moved)
        if i >= args.warmup:
            times.append(dt)
        cr.rollback()
    gen.vacuum(args, RUN_TABLES)
    return times, moved, len(results)


def measure_refresh(env, company, args):
    """Worklist rebuilds (rolled back), then one kept (committed and vacuumed)."""
    cr = env.cr
    Worklist = env["otc.worklist"]
    times = []
    for i in range(args.warmup + args.runs + 1):
        env.invalidate_all()
        t0 = time.perf_counter()
        Worklist._refresh(company)
        env.flush_all()
        dt = time.perf_counter() - t0
        if i == args.warmup + args.runs:
            cr.commit()  # the last refresh is kept, as the hourly job leaves it
            break
        if i >= args.warmup:
            times.append(dt)
        cr.rollback()
    gen.vacuum(args, "otc_worklist")
    cr.execute(
        "SELECT collector_id, count(*) FROM otc_worklist WHERE company_id = %s GROUP BY 1",
        [company.id],
    )
    return times, dict(cr.fetchall())


def measure_worklist(env, company, collector, args):
    Model = (
        env["otc.worklist"]
        .with_user(collector)
        .with_context(allowed_company_ids=[company.id])
    )
    spec = bc.list_specification(Model)
    log(f"worklist list view columns: {list(spec)}")
    domain = [("collector_id", "=", collector.id)]
    cr = env.cr
    results = {}
    for label, limit in (
        (f"all rows (limit {args.worklist_size})", args.worklist_size),
        ("first page (80) + count", 80),
    ):
        times, queries, length, rows = [], [], None, None
        for i in range(LIST_WARMUP + args.list_runs):
            env.invalidate_all()
            n0 = cr.sql_log_count
            t0 = time.perf_counter()
            res = Model.web_search_read(domain, specification=spec, limit=limit)
            dt = (time.perf_counter() - t0) * 1000
            length, rows = res["length"], len(res["records"])
            if i >= LIST_WARMUP:
                times.append(dt)
                queries.append(cr.sql_log_count - n0)
        results[label] = (times, statistics.median(queries), length, rows)
    cr.rollback()
    return results


def profile_run(env, company, args, top=30):
    """One more dunning run under cProfile (rolled back): the top functions, as text."""
    run = env["otc.dunning.run"].create({"company_id": company.id})
    env.flush_all()
    env.invalidate_all()
    prof = cProfile.Profile()
    prof.enable()
    run._run()
    env.flush_all()
    prof.disable()
    env.cr.rollback()
    gen.vacuum(args, RUN_TABLES)
    out = []
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        text = buf.getvalue()
        out.append(f"### cProfile of one dunning run, by {key}\n")
        out.append("```\n" + text[text.find("   ncalls") :].rstrip() + "\n```\n")
    return "\n".join(out)


def cell(values, unit, fmt="{:.2f}"):
    st = gen.stats(values)
    return [f"{fmt.format(st[k])} {unit}" for k in ("median", "p95", "min")], st["n"]


def measure(registry, args, dataset, gen_timings):
    table = [
        "| Measure | median | p95 | min | runs | SQL queries (median) | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]

    def row(name, values, unit, queries="", target=""):
        cells, n = cell(values, unit)
        table.append(f"| {name} | {' | '.join(cells)} | {n} | {queries} | {target} |")

    notes, details = [], []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        policy = env["otc.dunning.policy"].browse(dataset["policy_id"])
        collector = env["res.users"].browse(dataset["collector_id"])
        other = env["res.users"].browse(dataset["other_collector_id"])
        if company.otc_default_dunning_policy_id != policy or (
            company.otc_default_collector_id != other
        ):
            company.write(
                {
                    "otc_default_dunning_policy_id": policy.id,
                    "otc_default_collector_id": other.id,
                }
            )
            cr.commit()
        summary = dataset_summary(cr, dataset, company)
        recorder = gen.QueryRecorder()
        with recorder:
            log(f"measuring the dunning run ({args.warmup} warm-up + {args.runs} runs)")
            times, sql_times, queries, fig = measure_dunning(
                env, company, args, recorder, details
            )
        items = fig["items"]
        row(
            "**full dunning run** (`_run()`, communications prepared, not sent)",
            times,
            "s",
            statistics.median(queries),
        )
        rates = [items / t for t in times]
        st = gen.stats(rates)
        table.append(
            f"| **items per second** ({items} items read / run time) | {st['median']:,.0f} /s | "
            f"{items / gen.stats(times)['p95']:,.0f} /s (p95 time) | {max(rates):,.0f} /s (min time) | "
            f"{st['n']} |  | ≥ {TARGET_ITEMS_PER_S:,} items/s |"
        )
        row("of which SQL (execute time of all queries)", sql_times, "s")

        log(f"measuring the dunning preview ({args.warmup} warm-up + {args.runs} runs)")
        ptimes, moved, customers = measure_preview(env, company, args)
        row("`_preview()` (engine only, no writes)", ptimes, "s")

        log(
            f"measuring the worklist refresh ({args.warmup} warm-up + {args.runs} runs)"
        )
        rtimes, by_collector = measure_refresh(env, company, args)
        row("worklist `_refresh(company)`", rtimes, "s")
        mine = by_collector.get(collector.id, 0)
        if mine < args.worklist_size:
            notes.append(
                f"- only {mine} worklist lines are assigned to the benchmark collector "
                f"(asked {args.worklist_size})"
            )

        log(f"measuring the collector's worklist ({args.list_runs} runs)")
        for label, (ltimes, lq, length, nrows) in measure_worklist(
            env, company, collector, args
        ).items():
            row(
                f"**collector's worklist**, {label}: {nrows} rows of {length}",
                ltimes,
                "ms",
                lq,
                f"≤ {TARGET_WORKLIST_MS:g} ms" if label.startswith("all") else "",
            )
        profile = profile_run(env, company, args) if args.profile else ""
        cr.rollback()

    statements = "; ".join(
        f"{tot:.2f} s in {cnt} × `{head}…`" for tot, cnt, head in fig["statements"]
    )
    statements = "; ".join(
        f"{tot:.2f} s in {cnt} × `{head}…`" for tot, cnt, head in fig["statements"]
    )
    levels = ", ".join(
        f"level {lvl}: {c} ({n} lines)"
        for lvl, (c, n) in sorted(fig["by_level"].items())
    )
    out = [
        "## Dunning run and collector worklist benchmark",
        "",
        f"`python3 benchmarks/bench_dunning.py {' '.join(sys.argv[1:])}`".replace(
            " `", "`"
        ),
        (
            f"on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, PostgreSQL on the same machine, "
            f"Odoo {odoo.release.version}; data set: {summary}."
        ),
        "",
        *table,
        "",
        (
            f"One run reads {items} open items of {customers} customers and prepares "
            f"{fig['communications']} communications with {fig['lines']} lines ({levels}); "
            f"late interest {fig['interest']:,.2f} on {fig['interest_lines']} lines; none sent. "
            f"`_preview()` moves {moved} customers. Worklist lines per collector after the refresh: "
            + ", ".join(
                f"{'benchmark collector' if uid == collector.id else 'default collector' if uid == other.id else uid}"
                f" {n}"
                for uid, n in sorted(by_collector.items(), key=lambda kv: -kv[1])
            )
            + "."
        ),
        "",
        (
            f"The engine alone (`_preview()`) takes {statistics.median(ptimes):.2f} s of the "
            f"{statistics.median(times):.2f} s: the rest is writing. Heaviest SQL statements of "
            f"the last measured run: {statements}."
        ),
    ]
    gen_timings = gen_timings or dataset.get("gen_timings")
    if gen_timings:
        out += [
            "",
            f"Data generation (on {dataset['generated']}): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in gen_timings.items())
            + ".",
        ]
    if notes:
        out += ["", *notes]
    if details:
        out += ["", *details]
    if profile:
        out += ["", profile]
    text = "\n".join(out) + "\n"
    print("\n" + text, flush=True)
    Path(args.output).write_text(text)
    log(f"results written to {args.output}")


def main(argv=None):
    args = parse_args(argv)
    registry, dataset, gen_timings = gen.open_dataset(
        args,
        MODULES,
        DATASET_PARAM,
        generate,
        sizes=("customers", "items", "worklist_size"),
        after=gen.fold_open_items,
        vacuum_tables=VACUUM_TABLES,
    )
    if not args.no_measure:
        measure(registry, args, dataset, gen_timings)


if __name__ == "__main__":
    main()
