"""Benchmark of the customer portal of ``otc_portal``: page times and a load test.

This is a benchmark script, not a unit test: it builds (or reuses) a dedicated database with the
three addons and ``payment_demo``, fills it with customers that have portal users and open
invoices, starts Odoo as a separate HTTP server on loopback and measures the portal pages the way a
browser gets them.

It reuses ``benchmarks/generator.py`` for the database and Odoo set-up,
the chart of accounts and the bulk SQL invoices (two invoices made and posted with the ORM, the
others mirroring their SQL rows).

Data set (generated once, kept for ``--reuse``):

* "Portal Big Customer" with ``--big-invoices`` (5,000) open posted invoices, invoice dates over
  the last year (due 30 days later, so most are overdue), 20 to 2,000 in company currency, two
  open disputes and an open promise to pay, and a portal user ``portal_bench_big``;
* ``--customers`` (50) customers, each with a contact that has a portal user
  (``portal_bench_00``...; the password is the login) and ``--invoices-per-customer`` (40)
  invoices, 80 % open.

Measurements:

a. **server time of the pages** of the big customer: an Odoo server started with
   ``--workers=0`` (one process, threads), ``--runs`` (30) sequential requests per page after 3
   warm-up ones, logged in as ``portal_bench_big``. The server time of a request is read from
   Odoo's own request log line (``werkzeug: ... "GET /my/balance HTTP/1.1" 200 - <queries>
   <query time> <remaining time>``: SQL time plus the rest of the server's work, rendering
   included, network excluded); the client's wall time is reported beside it. Pages:
   ``/my/balance`` (account overview) and ``/my/balance/pay`` (all 5,000 invoices to tick), plus
   ``/my`` for reference;
b. **load test**: an Odoo server started with ``--workers`` (4) worker processes on
   127.0.0.1; the ``--concurrency`` (50) customers log in, then each of them, in its own thread,
   first opens every page once (not timed: each worker process compiles its templates on its
   first requests), then browses for ``--duration`` (60) seconds: a random page among the
   account overview, the invoices to pay, the statement form, the disputes, the promises and the
   portal home, then thinks ``--think`` (5) seconds on average (uniform 0.5x to 1.5x; 0 for a
   stress test). Every response must be a 200 with the page's marker in it, anything else (status,
   timeout, connection error) is an error. Reported: requests, errors, requests per second,
   client p50/p95 overall and per page, server p50/p95 (from the log lines).

Results are printed as markdown and written to ``benchmarks/results_portal.md``. Timings are
wall-clock on a shared machine: run it on an otherwise idle machine for figures to publish.

Usage (PostgreSQL reachable with the ``odoo`` role, Odoo importable by ``python3``)::

    python3 benchmarks/bench_portal.py                 # create otc_bench_portal, generate, measure
    python3 benchmarks/bench_portal.py --reuse         # reuse the database and its data set
    python3 benchmarks/bench_portal.py --drop          # drop and rebuild the database first

    Options: --db NAME --runs 30 --big-invoices 5000 --customers 50 --invoices-per-customer 40
             --workers 4 --concurrency 50 --duration 60 --think 1.0 --port 18169
             --db-user odoo (or $OTC_DB_USER) --db-host 127.0.0.1 --db-port 5432
"""

import argparse
import datetime
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

import odoo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generator as gen  # noqa: E402

log = gen.log
RESULTS_FILE = Path(__file__).resolve().parent / "results_portal.md"
DATASET_PARAM = "otc_bench_portal.dataset"
MODULES = ["otc_order_to_cash", "otc_collections", "otc_portal", "payment_demo"]
BIG_LOGIN = "portal_bench_big"
TARGET_PAGE_MS = 300.0
PAGE_WARMUP = 3
# page -> text the response must contain
LOAD_PAGES = {
    "/my/balance": "otc_balance_actions",
    "/my/balance/pay": "otc_pay_",
    "/my/balance/statement": "otc_statement_form",
    "/my/disputes": "Disputes",
    "/my/promises": "Promises to Pay",
    "/my": "o_portal_my_home",
}
LOG_LINE = re.compile(
    r'werkzeug: \S+ - - \[[^\]]+\] "(?P<method>GET|POST) (?P<path>\S+) HTTP/[\d.]+" '
    r"(?P<status>\d+) - (?P<queries>\d+) (?P<query_time>[\d.]+) (?P<remaining>[\d.]+)"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen.add_database_arguments(p, "otc_bench_portal")
    p.add_argument("--runs", type=int, default=30, help="measured requests per page")
    p.add_argument("--big-invoices", type=int, default=5000)
    p.add_argument("--customers", type=int, default=50)
    p.add_argument("--invoices-per-customer", type=int, default=40)
    p.add_argument("--workers", type=int, default=4, help="Odoo workers (load test)")
    p.add_argument("--concurrency", type=int, default=50, help="simulated customers")
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument(
        "--think", type=float, default=5.0, help="mean think time between pages, s"
    )
    p.add_argument("--port", type=int, default=18169, help="HTTP port of the server")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--log-level", default="warn", help="Odoo log level (set-up)")
    p.add_argument("--log-sql", action="store_true", help="log every SQL query")
    p.add_argument("--output", default=str(RESULTS_FILE), help="markdown results file")
    p.add_argument(
        "--no-measure", action="store_true", help="only build the database and data set"
    )
    p.add_argument("--skip-load", action="store_true", help="page times only")
    return p.parse_args(argv)


# --------------------------------------------------------------------------------------------------
# Data generation
# --------------------------------------------------------------------------------------------------


def portal_user(env, partner, login):
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "login": login,
                "password": login,
                "partner_id": partner.id,
                "company_id": env.company.id,
                "company_ids": [(6, 0, env.company.ids)],
                "groups_id": [(6, 0, env.ref("base.group_portal").ids)],
            }
        )
    )


def ensure_followers(cr):
    """Customers follow their invoices, as posting an invoice makes them do
    (Odoo's portal shows a customer the invoices it follows): the bulk SQL
    invoices get the follower rows the ORM would have written."""
    cr.execute(
        """
        INSERT INTO mail_followers (res_model, res_id, partner_id)
        SELECT 'account.move', m.id, m.commercial_partner_id
          FROM account_move m
         WHERE m.move_type = 'out_invoice'
           AND NOT EXISTS (SELECT 1 FROM mail_followers f
                            WHERE f.res_model = 'account.move' AND f.res_id = m.id
                              AND f.partner_id = m.commercial_partner_id)
        """
    )
    return cr.rowcount


def generate(env, args, rng):
    cr = env.cr
    timings = {}
    t_all = t0 = time.perf_counter()
    env = gen.quiet_env(env, otc_skip_credit_check=True)
    today = datetime.date.today()
    product = env["product.product"].create(
        {
            "name": "Portal Bench Service",
            "type": "service",
            "invoice_policy": "order",
            "taxes_id": [(5,)],
        }
    )
    Partner = env["res.partner"]
    big = Partner.create(
        {
            "name": "Portal Big Customer",
            "is_company": True,
            "email": "big@bench.example.com",
        }
    )
    customers = Partner.create(
        [
            {
                "name": f"Portal Bench Customer {i:02d}",
                "is_company": True,
                "email": f"customer{i:02d}@bench.example.com",
            }
            for i in range(args.customers)
        ]
    )
    contacts = Partner.create(
        [
            {
                "name": f"Buyer at {customer.name}",
                "parent_id": customer.id,
                "email": f"buyer{i:02d}@bench.example.com",
            }
            for i, customer in enumerate(big | customers)
        ]
    )
    logins = [BIG_LOGIN] + [f"portal_bench_{i:02d}" for i in range(args.customers)]
    for contact, login in zip(contacts, logins):
        portal_user(env, contact, login)
    env.flush_all()
    cr.commit()
    timings["customers & portal users"] = time.perf_counter() - t0
    log(
        f"{len(customers) + 1} customers with portal users in {timings['customers & portal users']:.1f} s"
    )

    t0 = time.perf_counter()
    term = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
    tmpl_moves = gen.make_template_invoices(env, customers[:2], product, term)
    rows = []
    seq = 0
    for _i in range(args.big_invoices):
        seq += 1
        rows.append(
            (
                seq,
                big.id,
                big.id,
                big.display_name,
                today - datetime.timedelta(days=rng.randrange(365)),
                round(rng.uniform(20, 2000), 2),
                False,
            )
        )
    for customer in customers:
        for _i in range(args.invoices_per_customer):
            seq += 1
            age = rng.randrange(365)
            rows.append(
                (
                    seq,
                    customer.id,
                    customer.id,
                    customer.display_name,
                    today - datetime.timedelta(days=age),
                    round(rng.uniform(50, 5000), 2),
                    rng.random() < 0.2,
                )
            )
    gen.bulk_invoices(env, tmpl_moves, rows)
    env.invalidate_all()
    cr.commit()
    timings["invoices (SQL)"] = time.perf_counter() - t0
    log(f"{len(rows) + 2} posted invoices in {timings['invoices (SQL)']:.1f} s")
    gen.check_bulk_invoices(env, rng)

    t0 = time.perf_counter()
    big_moves = env["account.move"].search(
        [("commercial_partner_id", "=", big.id), ("move_type", "=", "out_invoice")],
        order="invoice_date_due",
        limit=3,
    )
    reason = env.ref("otc_collections.otc_dispute_reason_price")
    env["otc.dispute"].create(
        [
            {"move_id": move.id, "disputed_amount": 10.0, "reason_id": reason.id}
            for move in big_moves[:2]
        ]
    )
    env["otc.promise"].create(
        {
            "partner_id": big.id,
            "company_id": env.company.id,
            "move_ids": [(6, 0, big_moves[2:].ids)],
            "promise_date": today + datetime.timedelta(days=10),
            "amount": 10.0,
        }
    )
    dataset = {
        "big_invoices": args.big_invoices,
        "customers": args.customers,
        "invoices_per_customer": args.invoices_per_customer,
        "big_customer_id": big.id,
        "logins": logins[1:],
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    env["ir.config_parameter"].sudo().set_param(DATASET_PARAM, json.dumps(dataset))
    env.flush_all()
    cr.commit()
    timings["disputes, promise"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    log(f"data set generated in {timings['total']:.1f} s")
    return dataset, timings


# --------------------------------------------------------------------------------------------------
# Odoo HTTP server
# --------------------------------------------------------------------------------------------------


class OdooServer:
    """An Odoo server on 127.0.0.1, in its own process, logging requests to a file."""

    def __init__(self, args, workers, logfile):
        self.args = args
        self.logfile = Path(logfile)
        self.url = f"http://127.0.0.1:{args.port}"
        cmd = [
            sys.executable,
            "-m",
            "odoo",
            "--addons-path=" + ",".join(gen.odoo_addons_paths()),
            f"--db_host={args.db_host}",
            f"--db_port={args.db_port}",
            f"--db_user={args.db_user}",
            "-d",
            args.db,
            f"--db-filter=^{args.db}$",
            "--http-interface=127.0.0.1",
            f"--http-port={args.port}",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--log-level=info",
            f"--logfile={self.logfile}",
            "--limit-time-real=300",
            "--limit-time-cpu=240",
        ]
        if args.db_password:
            cmd.append(f"--db_password={args.db_password}")
        self.logfile.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the Odoo server stopped (see {self.logfile})")
            try:
                if requests.get(self.url + "/web/login", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        sys.exit(f"the Odoo server did not answer within {timeout} s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def request_times(self, since=0):
        """[(path, status, server ms)] of the request log lines after byte ``since``."""
        result = []
        with self.logfile.open(errors="replace") as fh:
            fh.seek(since)
            for line in fh:
                match = LOG_LINE.search(line)
                if match:
                    server_ms = (
                        float(match["query_time"]) + float(match["remaining"])
                    ) * 1000
                    result.append(
                        (match["path"].split("?")[0], int(match["status"]), server_ms)
                    )
        return result

    def log_size(self):
        return self.logfile.stat().st_size if self.logfile.exists() else 0


def login(url, username, timeout=60):
    session = requests.Session()
    page = session.get(f"{url}/web/login", timeout=timeout)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{url}/web/login",
        data={"login": username, "password": username, "csrf_token": csrf},
        timeout=timeout,
        allow_redirects=False,
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {username} failed ({response.status_code})")
    return session


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --------------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------------


def measure_pages(args, logdir):
    server = OdooServer(args, 0, logdir / "bench_portal_pages.log")
    try:
        server.wait_ready()
        session = login(server.url, BIG_LOGIN)
        rows = {}
        for page in ("/my/balance", "/my/balance/pay", "/my"):
            for _i in range(PAGE_WARMUP):
                session.get(server.url + page, timeout=120)
            start = server.log_size()
            client = []
            for _i in range(args.runs):
                t0 = time.perf_counter()
                response = session.get(server.url + page, timeout=120)
                client.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{page}: HTTP {response.status_code}")
            time.sleep(0.5)  # let the last log line be written
            server_ms = [
                ms for path, _s, ms in server.request_times(start) if path == page
            ]
            rows[page] = {
                "server": server_ms,
                "client": client,
                "size": len(response.content),
            }
            log(
                f"{page}: server median {statistics.median(server_ms):.0f} ms, "
                f"client median {statistics.median(client):.0f} ms, "
                f"{len(response.content) / 1024:.0f} KiB"
            )
        return rows
    finally:
        server.stop()


def measure_load(args, dataset, logdir):
    server = OdooServer(args, args.workers, logdir / "bench_portal_load.log")
    stats = defaultdict(list)
    errors = []
    lock = threading.Lock()
    try:
        server.wait_ready()
        logins = dataset["logins"][: args.concurrency]
        if len(logins) < args.concurrency:
            log(f"NOTE: only {len(logins)} portal users in the data set")
        log(f"logging {len(logins)} customers in")
        sessions = [login(server.url, name) for name in logins]
        log("warming up: every customer opens every page once")

        def warm(session):
            for page in LOAD_PAGES:
                session.get(server.url + page, timeout=300)

        warmers = [threading.Thread(target=warm, args=(s,)) for s in sessions]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()
        start_log = server.log_size()
        stop_at = time.perf_counter() + args.duration
        log(
            f"{len(sessions)} customers browse for {args.duration:.0f} s "
            f"({args.workers} workers, think time {args.think} s)"
        )

        def customer(index, session):
            rng = random.Random(args.seed * 1000 + index)
            pages = list(LOAD_PAGES)
            while time.perf_counter() < stop_at:
                page = rng.choice(pages)
                t0 = time.perf_counter()
                try:
                    response = session.get(server.url + page, timeout=120)
                    ok = (
                        response.status_code == 200
                        and LOAD_PAGES[page] in response.text
                    )
                    reason = None if ok else f"{page}: HTTP {response.status_code}"
                except requests.RequestException as error:
                    ok, reason = False, f"{page}: {type(error).__name__}"
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    stats[page].append(elapsed)
                    if not ok:
                        errors.append(reason)
                if args.think:
                    time.sleep(args.think * rng.uniform(0.5, 1.5))

        started = time.perf_counter()
        threads = [
            threading.Thread(target=customer, args=(i, s), daemon=True)
            for i, s in enumerate(sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        time.sleep(1)
        server_times = defaultdict(list)
        for path, status, ms in server.request_times(start_log):
            if path in LOAD_PAGES and status == 200:
                server_times[path].append(ms)
        return stats, errors, wall, server_times, len(sessions)
    finally:
        server.stop()


def report(args, dataset, pages, load, gen_timings):
    lines = [
        "# Customer portal benchmark",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/bench_portal.py`; data set of "
        f"{dataset['generated']}: one customer with {dataset['big_invoices']:,} open invoices, "
        f"{dataset['customers']} customers with {dataset['invoices_per_customer']} invoices each "
        f"(80 % open), a portal user each. Odoo {odoo.release.version}, {os.cpu_count()} CPUs.",
        "",
        f"## Pages of the customer with {dataset['big_invoices']:,} open invoices",
        "",
        f"One server process (`--workers=0`), {args.runs} sequential requests per page after "
        f"{PAGE_WARMUP} warm-up ones. Server time from Odoo's request log (SQL + the rest of the "
        "request, rendering included).",
        "",
        "| Page | server median | server p95 | client median | page size | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for page, row in pages.items():
        target = f"≤ {TARGET_PAGE_MS:.0f} ms" if page != "/my" else ""
        lines.append(
            f"| `{page}` | {statistics.median(row['server']):.0f} ms | "
            f"{percentile(row['server'], 95):.0f} ms | {statistics.median(row['client']):.0f} ms | "
            f"{row['size'] / 1024:.0f} KiB | {target} |"
        )
    if load:
        stats, errors, wall, server_times, users = load
        all_client = [ms for values in stats.values() for ms in values]
        all_server = [ms for values in server_times.values() for ms in values]
        total = len(all_client)
        lines += [
            "",
            f"## Load: {users} customers for {args.duration:.0f} s",
            "",
            f"Odoo with `--workers={args.workers}` on 127.0.0.1; each customer in its own thread "
            f"picks a random page, then thinks {args.think} s on average.",
            "",
            f"**{total} requests, {len(errors)} errors**, {total / wall:.1f} requests/s; "
            f"client p50 {percentile(all_client, 50):.0f} ms, p95 {percentile(all_client, 95):.0f} ms; "
            f"server p50 {percentile(all_server, 50):.0f} ms, p95 {percentile(all_server, 95):.0f} ms.",
            "",
            "| Page | requests | client p50 | client p95 | server p50 | server p95 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for page in LOAD_PAGES:
            client, server = stats.get(page, []), server_times.get(page, [])
            lines.append(
                f"| `{page}` | {len(client)} | {percentile(client, 50):.0f} ms | "
                f"{percentile(client, 95):.0f} ms | {percentile(server, 50):.0f} ms | "
                f"{percentile(server, 95):.0f} ms |"
            )
        if errors:
            lines += ["", "Errors (first 20):", ""] + [f"- {e}" for e in errors[:20]]
    if gen_timings:
        lines += ["", "## Data generation", ""] + [
            f"- {name}: {seconds:.1f} s" for name, seconds in gen_timings.items()
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.output).write_text(text)
    log(f"results written to {args.output}")


def main(argv=None):
    args = parse_args(argv)

    def add_followers(env):
        added = ensure_followers(env.cr)
        if added:
            log(f"{added} invoice followers added")

    registry, dataset, gen_timings = gen.open_dataset(
        args,
        MODULES,
        DATASET_PARAM,
        generate,
        after=add_followers,
        vacuum_tables="account_move_line, account_move, res_partner",
    )
    registry.delete(args.db)
    odoo.sql_db.close_db(args.db)
    if args.no_measure:
        return
    logdir = Path(tempfile.gettempdir())
    pages = measure_pages(args, logdir)
    load = None if args.skip_load else measure_load(args, dataset, logdir)
    report(args, dataset, pages, load, gen_timings)


if __name__ == "__main__":
    main()
