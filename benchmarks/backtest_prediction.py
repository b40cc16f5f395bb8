"""Back-test of the payment-date prediction and the weekly cash-in forecast.

A benchmark script, not a unit test (``tests/test_collections_prediction.py``
runs a small instance of it).  It needs neither Odoo nor a database: the
engines are imported by path from ``addons/otc_collections/engine``.

Data set (seeded, hence deterministic): ``--customers`` customers, each with
one behaviour, invoicing about twice a month for ``--months`` months on 30-day
terms, log-normal amounts; each invoice is paid in full on ``due date + days
late`` where days late are drawn from the customer's behaviour:

* punctual (25 %): N(0, 2), never more than 2 days early;
* late (25 %): N(L, 4) with L drawn in 8..45 per customer;
* deteriorating (20 %): mean growing linearly from 0 to D (20..60) over the
  history, spread 4;
* erratic (15 %): uniform in -5..60;
* seasonal (15 %): N(3, 3), plus 25 days for invoices due in December or
  January.

**Predictions.**  The history before ``cutoff`` (``--months`` - 6 months) is
training; every invoice issued from the cutoff on is predicted *as of its
invoice date*, with only the payments made before that date known (a
rolling origin, as the scheduled job would see it).  Mean absolute error in
days of the predicted payment date against the actual one, overall and per
behaviour, for:

* the due date (baseline 1);
* due date + the customer's plain average days late (baseline 2, all its
  known payments weigh the same, no shrinkage);
* the engine (``prediction.predict_many``: amount- and recency-weighted,
  shrunk towards the company's pattern, truncated at the invoice's age).

**Forecast.**  As of the cutoff, the invoices open at that date are forecast
per week for 13 weeks (``forecast.forecast`` on the engine's predictions,
and on the due dates as a baseline); the WAPE against what those invoices
actually brought in per week (payments after the horizon count in none of
the weeks) is reported, with the share of weeks whose actual fell within the
80 % band.

Usage::

    python3 benchmarks/backtest_prediction.py [--customers 2000] [--months 24] [--seed 5]
"""

import argparse
import datetime
import importlib
import random
import statistics
import sys
import time
import types
from pathlib import Path

ENGINE_DIR = (
    Path(__file__).resolve().parent.parent / "addons" / "otc_collections" / "engine"
)
START = datetime.date(2024, 7, 1)
BEHAVIOURS = (
    ("punctual", 0.25),
    ("late", 0.25),
    ("deteriorating", 0.20),
    ("erratic", 0.15),
    ("seasonal", 0.15),
)


def load_engine(module_name):
    """Import an engine module by path, as a member of a synthetic package."""
    name = "_otc_collections_engine_bench"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ENGINE_DIR)]
        sys.modules[name] = package
    return importlib.import_module(f"{name}.{module_name}")


def _behaviour(rng):
    roll = rng.random()
    for name, share in BEHAVIOURS:
        if roll < share:
            return name
        roll -= share
    return BEHAVIOURS[-1][0]


def _days_late(rng, kind, param, progress, due):
    if kind == "punctual":
        return max(-2, round(rng.gauss(0, 2)))
    if kind == "late":
        return round(rng.gauss(param, 4))
    if kind == "deteriorating":
        return round(rng.gauss(param * progress, 4))
    if kind == "erratic":
        return rng.randint(-5, 60)
    extra = 25 if due.month in (12, 1) else 0
    return round(rng.gauss(3, 3)) + extra


def generate(customers, months, seed):
    """Invoices as dicts: customer, kind, amount, invoice/due/paid dates."""
    rng = random.Random(seed)
    end = START + datetime.timedelta(days=round(months * 30.44))
    span = (end - START).days
    invoices = []
    for cust in range(customers):
        kind = _behaviour(rng)
        param = {"late": rng.randint(8, 45), "deteriorating": rng.randint(20, 60)}.get(
            kind
        )
        day = START + datetime.timedelta(days=rng.randint(0, 14))
        while day < end:
            due = day + datetime.timedelta(days=30)
            progress = (day - START).days / span
            late = _days_late(rng, kind, param, progress, due)
            invoices.append(
                {
                    "customer": cust,
                    "kind": kind,
                    "amount": round(rng.lognormvariate(7, 1), 2),
                    "invoice_date": day,
                    "due_date": due,
                    "paid_date": due + datetime.timedelta(days=late),
                }
            )
            day += datetime.timedelta(days=max(3, round(rng.gauss(15, 5))))
    return invoices, end


def run(customers=2000, months=24, seed=5, out=print):
    prediction = load_engine("prediction")
    forecast = load_engine("forecast")
    invoices, _end = generate(customers, months, seed)
    cutoff = START + datetime.timedelta(days=round((months - 6) * 30.44))
    by_customer = {}
    for inv in invoices:
        by_customer.setdefault(inv["customer"], []).append(inv)

    # the company's pattern, from what was paid before the cutoff
    known = [
        prediction.PaidItem(i["amount"], i["due_date"], i["paid_date"])
        for i in invoices
        if i["paid_date"] < cutoff
    ]
    company = prediction.build_profile(known, cutoff) or prediction.COMPANY_FALLBACK

    errors = {"due date": [], "plain average": [], "engine": []}
    per_kind = {}
    started = time.perf_counter()
    predicted = 0
    for items in by_customer.values():
        items.sort(key=lambda i: i["paid_date"])
        history = [
            prediction.PaidItem(i["amount"], i["due_date"], i["paid_date"])
            for i in items
        ]
        for inv in items:
            if inv["invoice_date"] < cutoff:
                continue
            as_of = inv["invoice_date"]
            past = [h for h in history if h.paid_date < as_of]
            actual = inv["paid_date"]
            (pred,) = prediction.predict_many(
                [prediction.OpenInvoice(inv["due_date"])], past, as_of, company
            )
            predicted += 1
            plain = (
                statistics.fmean((h.paid_date - h.due_date).days for h in past)
                if past
                else company.mean
            )
            plain_date = inv["due_date"] + datetime.timedelta(days=round(plain))
            row = {
                "due date": abs((actual - inv["due_date"]).days),
                "plain average": abs((actual - plain_date).days),
                "engine": abs((actual - pred.date).days),
            }
            for name, err in row.items():
                errors[name].append(err)
                per_kind.setdefault(inv["kind"], {}).setdefault(name, []).append(err)
    elapsed = time.perf_counter() - started

    out(
        f"{customers} customers, {len(invoices)} invoices over {months} months, "
        f"cutoff {cutoff}; {predicted} invoices predicted in {elapsed:.1f} s"
    )
    out("")
    out("| behaviour | invoices | MAE due date | MAE plain average | MAE engine |")
    out("|---|---:|---:|---:|---:|")
    for kind, _share in BEHAVIOURS:
        e = per_kind.get(kind)
        if not e:
            continue
        out(
            f"| {kind} | {len(e['engine'])} | {statistics.fmean(e['due date']):.2f} | "
            f"{statistics.fmean(e['plain average']):.2f} | {statistics.fmean(e['engine']):.2f} |"
        )
    mae = {name: statistics.fmean(v) for name, v in errors.items()}
    out(
        f"| **all** | {predicted} | {mae['due date']:.2f} | {mae['plain average']:.2f} | "
        f"{mae['engine']:.2f} |"
    )
    gain = (1 - mae["engine"] / mae["due date"]) * 100
    out("")
    out(f"engine MAE {gain:.1f} % lower than the due-date baseline (target >= 30 %)")

    # weekly forecast of the invoices open at the cutoff, its band calibrated
    # on the forecasts made every 4 weeks of the year before (outcomes known by then)
    origins = [cutoff - datetime.timedelta(weeks=w) for w in range(52, 12, -4)]
    past = []
    for origin in origins:
        items, _due, start_o, actual_o = forecast_inputs(
            prediction, by_customer, origin, company_at(prediction, invoices, origin)
        )
        past.append((items, start_o, actual_o))
    rho = forecast.calibrate_correlation(past)
    engine_items, due_items, start, actual = forecast_inputs(
        prediction, by_customer, cutoff, company
    )
    open_items = engine_items
    fc_engine = forecast.forecast(engine_items, start, correlation=rho)
    fc_independent = forecast.forecast(engine_items, start)
    fc_default = forecast.forecast(
        engine_items, start, correlation=forecast.DEFAULT_CORRELATION
    )
    fc_due = forecast.forecast(due_items, start)
    w_engine = forecast.wape([w.expected for w in fc_engine.weeks], actual)
    w_due = forecast.wape([w.expected for w in fc_due.weeks], actual)
    inside = forecast.coverage(fc_engine.weeks, actual)
    out("")
    out(
        f"13-week forecast of the {len(open_items)} invoices open at the cutoff: "
        f"WAPE engine {w_engine:.1f} %, due dates {w_due:.1f} %"
    )
    out("")
    out("| 80 % band | correlation | weeks with the actual inside | mean band width |")
    out("|---|---:|---:|---:|")
    for label, corr, fc in (
        ("independent receipts (before)", 0.0, fc_independent),
        (
            f"calibrated on the forecasts of {', '.join(str(o) for o in origins)}",
            rho,
            fc_engine,
        ),
        ("the module's default", forecast.DEFAULT_CORRELATION, fc_default),
    ):
        width = statistics.fmean(
            (w.high - w.low) / w.expected for w in fc.weeks if w.expected
        )
        out(
            f"| {label} | {corr:.1f} | {forecast.coverage(fc.weeks, actual)} of 13 | "
            f"{width * 100:.0f} % of expected |"
        )
    return {
        "mae": mae,
        "gain": gain,
        "wape_engine": w_engine,
        "wape_due": w_due,
        "correlation": rho,
        "inside": inside,
        "inside_independent": forecast.coverage(fc_independent.weeks, actual),
    }


def company_at(prediction, invoices, as_of):
    """The company's pattern from what was paid before ``as_of``."""
    known = [
        prediction.PaidItem(i["amount"], i["due_date"], i["paid_date"])
        for i in invoices
        if i["paid_date"] < as_of
    ]
    return prediction.build_profile(known, as_of) or prediction.COMPANY_FALLBACK


def forecast_inputs(prediction, by_customer, as_of, company, weeks=13):
    """The expected receipts of the invoices open at ``as_of`` (engine's
    predictions with their spread, and due dates), the forecast's first
    Monday and what those invoices actually brought in per week (payments
    after the horizon count in none of the weeks)."""
    forecast = load_engine("forecast")
    start = as_of - datetime.timedelta(days=as_of.weekday())
    engine_items, due_items = [], []
    actual = [0.0] * weeks
    for items in by_customer.values():
        open_here = [i for i in items if i["invoice_date"] < as_of <= i["paid_date"]]
        if not open_here:
            continue
        past = [
            prediction.PaidItem(i["amount"], i["due_date"], i["paid_date"])
            for i in items
            if i["paid_date"] < as_of
        ]
        preds = prediction.predict_many(
            [prediction.OpenInvoice(i["due_date"]) for i in open_here],
            past,
            as_of,
            company,
        )
        for inv, pred in zip(open_here, preds, strict=True):
            engine_items.append(
                forecast.Expected(
                    inv["amount"], pred.date, prediction.spread_days(pred)
                )
            )
            due_items.append(
                forecast.Expected(inv["amount"], max(inv["due_date"], as_of))
            )
            week = (inv["paid_date"] - start).days // 7
            if 0 <= week < weeks:
                actual[week] += inv["amount"]
    return engine_items, due_items, start, actual


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    run(args.customers, args.months, args.seed)


if __name__ == "__main__":
    main()
