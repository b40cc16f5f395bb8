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
  Independence understates the band when many customers slip together (a
  recession); the back-test reports the error actually observed.

Disputed amounts are not expected receipts (the caller leaves them out, or
passes them with their dispute delay: the model's choice, documented in the
README).  One forecast is for one currency.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

Z80 = 1.2815515655446004


@dataclass(frozen=True)
class Expected:
    """One expected receipt."""

    amount: float
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


def _week_probabilities(item, start, weeks):
    """Probability of ``item`` falling in each week (first week takes the past)."""
    offset = (item.mean_date - start).days
    sigma = item.std_days
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


def forecast(items, start, weeks=13, z=Z80):
    """Weekly :class:`Forecast` of ``items`` from ``start`` (a Monday, usually)."""
    expected = [0.0] * weeks
    variance = [0.0] * weeks
    beyond = 0.0
    for item in items:
        if item.amount <= 0:
            continue
        probs, after = _week_probabilities(item, start, weeks)
        for w, p in enumerate(probs):
            if p:
                expected[w] += item.amount * p
                variance[w] += item.amount * item.amount * p * (1.0 - p)
        beyond += item.amount * after
    result = []
    for w in range(weeks):
        half = z * math.sqrt(variance[w])
        result.append(
            Week(
                start=start + timedelta(days=7 * w),
                expected=expected[w],
                low=max(0.0, expected[w] - half),
                high=expected[w] + half,
            )
        )
    return Forecast(tuple(result), beyond)


def wape(forecast_amounts, actual_amounts):
    """Weighted absolute percentage error: sum|f - a| / sum(a), in percent."""
    total = sum(actual_amounts)
    if not total:
        return None
    err = sum(abs(f - a) for f, a in zip(forecast_amounts, actual_amounts, strict=True))
    return err / total * 100.0
