"""Cash-in forecast: expected collections per week, with a band.

How it works
------------
Each expected receipt (an open invoice with its predicted payment date, a
promise to pay, a confirmed order not yet invoiced with its expected invoice
date + payment terms + the customer's usual delay) is an :class:`Expected`:
an amount, a mean date and a spread in days.  Its payment date is taken as
normally distributed around the mean; the probability that it falls in week
``w`` (``[start + 7w, start + 7w + 7)``) is the difference of the normal CDF
at the week's two ends, evaluated at half-days so that a spread of zero puts
the whole amount in the week of its date.

* Probability mass before the first week goes to the first week: a receipt
  expected in the past but still open is expected now, not never.
* Mass after the last week is outside the horizon (``beyond``).
* The expected amount of a week is ``sum(amount x p)``; assuming receipts
  independent, its variance is ``sum(amount^2 x p x (1 - p))`` and the band
  is ``expected +/- z x sqrt(variance)`` (z = 1.2816: 80 %), floored at zero.
* Receipts are not independent: when customers slip, many slip together
  (a season, a recession), and each prediction's error is partly shared
  (its customer's pattern was estimated from the same past).  With
  ``correlation`` rho > 0, an item's date is ``mean + std x (sqrt(rho) x U
  + sqrt(1 - rho) x e)`` with ``U`` one standard normal common to all items
  and ``e`` the item's own: the weeks are computed under ``nodes``
  equiprobable values of ``U`` (its quantiles), the expected amount is
  their mean and the variance is, by the law of total variance, the mean
  of the independent variances plus the variance of the expected amounts
  across the values of ``U``.  rho = 0 is the independent case; the
  back-test (``benchmarks/backtest_prediction.py``) calibrates rho on past
  forecasts (:func:`calibrate_correlation`: the smallest rho whose band held
  the actual in 80 % of the past weeks) and reports the coverage obtained
  out of sample.

Items with the same date and spread are summed first (amount and squared
amount), so the cost grows with the distinct (date, spread) pairs, not
with the invoices.

Disputed amounts are not expected receipts (the caller leaves them out, or
passes them with their dispute delay: the model's choice, documented in the
README).  One forecast is for one currency.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

Z80 = 1.2815515655446004
#: share of a receipt's timing error common to all receipts (see the module
#: docstring); the back-test's calibration on past forecasts gives it
DEFAULT_CORRELATION = 0.2
#: equiprobable values of the common factor the weeks are computed under
NODES = 15


@dataclass(frozen=True)
class Expected:
    """One expected receipt."""

    amount: float
    mean_date: date
    std_days: float = 0.0


@dataclass(frozen=True)
class ExpectedGroup:
    """Receipts of one mean date and spread, summed (by the caller's SQL):
    their amounts and their squared amounts."""

    amount: float
    squares: float
    mean_date: date
    std_days: float = 0.0


@dataclass(frozen=True)
class Week:
    """One week of the forecast."""

    start: date
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class Forecast:
    """The weeks, and what falls after them."""

    weeks: tuple
    beyond: float


def _cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _week_probabilities(offset, sigma, weeks):
    """Probability of a receipt ``offset`` days after the first week's start
    (spread ``sigma``) falling in each week (the first week takes the past)."""
    probs = []
    previous = 0.0  # everything before the first week goes into it
    for w in range(weeks):
        edge = 7 * (w + 1) - 0.5 - offset  # days from the mean to the week's end
        if sigma > 0:
            cum = _cdf(edge / sigma)
        else:
            cum = 1.0 if edge >= 0 else 0.0
        probs.append(cum - previous)
        previous = cum
    return probs, 1.0 - previous


def _grouped(items, start):
    """{(offset in days, spread): [sum of amounts, sum of squared amounts]}
    (an :class:`ExpectedGroup` adds its sums)."""
    groups = defaultdict(lambda: [0.0, 0.0])
    for item in items:
        if item.amount <= 0:
            continue
        group = groups[((item.mean_date - start).days, item.std_days)]
        group[0] += item.amount
        group[1] += getattr(item, "squares", item.amount * item.amount)
    return groups


def _weeks_under(groups, weeks, shift, own):
    """(expected, independent variance, beyond) per week when every group's
    date moves by ``shift`` of its spread and keeps ``own`` of it."""
    expected = [0.0] * weeks
    variance = [0.0] * weeks
    beyond = 0.0
    for (offset, std), (amount, squares) in groups.items():
        probs, after = _week_probabilities(offset + shift * std, own * std, weeks)
        for w, p in enumerate(probs):
            if p:
                expected[w] += amount * p
                variance[w] += squares * p * (1.0 - p)
        beyond += amount * after
    return expected, variance, beyond


def forecast(items, start, weeks=13, z=Z80, correlation=0.0, nodes=NODES):
    """Weekly :class:`Forecast` of ``items`` from ``start`` (a Monday, usually)."""
    groups = _grouped(items, start)
    if correlation <= 0:
        scenarios = [_weeks_under(groups, weeks, 0.0, 1.0)]
    else:
        common, own = math.sqrt(correlation), math.sqrt(1.0 - correlation)
        normal = NormalDist()
        scenarios = [
            _weeks_under(groups, weeks, common * normal.inv_cdf((k + 0.5) / nodes), own)
            for k in range(nodes)
        ]
    n = len(scenarios)
    result = []
    for w in range(weeks):
        values = [sc[0][w] for sc in scenarios]
        expected = sum(values) / n
        variance = (
            sum(sc[1][w] for sc in scenarios) / n
            + sum((v - expected) ** 2 for v in values) / n
        )
        half = z * math.sqrt(variance)
        result.append(
            Week(
                start=start + timedelta(days=7 * w),
                expected=expected,
                low=max(0.0, expected - half),
                high=expected + half,
            )
        )
    return Forecast(tuple(result), sum(sc[2] for sc in scenarios) / n)


def coverage(forecast_weeks, actual_amounts):
    """How many weeks' actual amount fell within the band."""
    return sum(
        1
        for week, actual in zip(forecast_weeks, actual_amounts, strict=True)
        if week.low <= actual <= week.high
    )


def calibrate_correlation(
    past, target=0.8, grid=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
):
    """The smallest correlation of ``grid`` whose band held the actual in at
    least ``target`` of the past weeks (the largest of the grid when none
    did). ``past``: ``[(items, start, actual amount per week)]``, forecasts
    made at past dates whose outcome is known."""
    for rho in grid:
        held = total = 0
        for items, start, actual in past:
            fc = forecast(items, start, len(actual), correlation=rho)
            held += coverage(fc.weeks, actual)
            total += len(actual)
        if total and held >= target * total:
            return rho
    return grid[-1]


def wape(forecast_amounts, actual_amounts):
    """Weighted absolute percentage error: sum|f - a| / sum(a), in percent."""
    total = sum(actual_amounts)
    if not total:
        return None
    err = sum(abs(f - a) for f, a in zip(forecast_amounts, actual_amounts, strict=True))
    return err / total * 100.0
