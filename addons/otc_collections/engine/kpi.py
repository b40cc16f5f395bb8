"""Receivables KPIs: the formulas, on figures already summed by SQL.

How it works
------------
The models read the journal items once per period with set-based SQL
(grouped sums: receivables open at a date, credit sales of a period,
payments with their invoice and due dates) and hand plain numbers to the
functions below, which only do arithmetic.  Every function returns ``None``
when its formula is undefined (a division by zero: no sales in the period,
no payment to average), never ``0``, so that a dashboard shows *n/a* rather
than a misleading perfect score.  Amounts are in one currency (the
company's); days are calendar days.

**DSO, standard** (days sales outstanding)::

    DSO = ending receivables / credit sales of the period x days in the period

**DSO, count-back**: the ending receivables are "counted back" against the
credit sales of the most recent months, newest first.  Each month whose
sales are fully covered adds all its days; the month where the receivables
run out adds the covered fraction of its days.  When the months given are
exhausted before the receivables, the result is the days of all months
given (a lower bound; ``countback_complete`` says so).  Unlike the standard
DSO it does not move when sales are seasonal and receivables are not.

**Best possible DSO** (the DSO if every customer paid on its due date)::

    BPDSO = current (not yet due) receivables / credit sales x days

**Average days delinquent**::

    ADD = DSO - BPDSO

**Collection effectiveness index** (percent; 100 = everything collectable
was collected)::

    CEI = (opening AR + credit sales - closing total AR)
          / (opening AR + credit sales - closing current AR) x 100

**Average days to pay / average days late** are amount-weighted over
payments (each reconciled part of an invoice counts with its amount)::

    ADP  = sum(amount x (payment date - invoice date)) / sum(amount)
    ADL  = sum(amount x (payment date - due date))     / sum(amount)

ADL is signed: a customer paying early has a negative ADL; that is the
payment pattern, and its *trend* (``trend``: least-squares slope in days
per month over the last months) says whether it gets better (negative
slope) or worse (positive slope).

**FX exposure**: for each currency, the open amount in that currency, its
booked value in company currency (at the rates of the invoices) and its
value at today's rate; the difference is the unrealised exchange gain
(positive) or loss (negative) that Odoo Community does not show.

**Ratios** (``ratio``): overdue share, dispute rate, promises kept rate,
dunning effectiveness, automatic cash-application rate, returns rate are
all "part / whole", ``None`` when the whole is zero, as a percentage.
"""

from dataclasses import dataclass
from datetime import date

from . import money


def _days(first, last):
    """Days from ``first`` to ``last`` inclusive (a period of one day has 1)."""
    return (last - first).days + 1


def dso_standard(ending_ar, credit_sales, days):
    """Standard DSO: ending receivables / credit sales x days (``None`` without sales)."""
    if not credit_sales or credit_sales <= 0:
        return None
    return ending_ar / credit_sales * days


@dataclass(frozen=True)
class CountBack:
    """Result of the count-back DSO: the days, and whether the months sufficed."""

    days: float
    complete: bool


def dso_countback(ending_ar, months):
    """Count-back DSO.

    ``months`` is the list of ``(credit_sales, days_in_month)`` of the most
    recent months, NEWEST FIRST.  Returns a :class:`CountBack` (``None`` when
    no month is given).  A month without sales is skipped over: its days count
    fully, since no sale of it can be outstanding.
    """
    if not months:
        return None
    remaining = ending_ar
    total = 0.0
    if remaining <= 0:
        return CountBack(0.0, True)
    for sales, days in months:
        if sales <= 0:
            total += days
            continue
        if remaining <= sales:
            return CountBack(total + remaining / sales * days, True)
        remaining -= sales
        total += days
    return CountBack(total, False)


def best_possible_dso(current_ar, credit_sales, days):
    """Best possible DSO: not-yet-due receivables / credit sales x days."""
    return dso_standard(current_ar, credit_sales, days)


def average_days_delinquent(dso, best_dso):
    """ADD = DSO - best possible DSO (``None`` when either is undefined)."""
    if dso is None or best_dso is None:
        return None
    return dso - best_dso


def cei(opening_ar, credit_sales, closing_total_ar, closing_current_ar):
    """Collection effectiveness index in percent (``None`` when nothing was collectable)."""
    collectable = opening_ar + credit_sales - closing_current_ar
    if collectable <= 0:
        return None
    return (opening_ar + credit_sales - closing_total_ar) / collectable * 100.0


@dataclass(frozen=True)
class Payment:
    """One reconciled part of an invoice: what was paid, when, against which dates."""

    amount: float
    invoice_date: date
    due_date: date
    payment_date: date


@dataclass(frozen=True)
class PaymentPattern:
    """Amount-weighted days to pay and days late over a set of payments."""

    days_to_pay: float | None
    days_late: float | None
    amount: float
    count: int


def payment_pattern(payments):
    """Amount-weighted ADP and ADL (see the module docstring) of ``payments``."""
    weight = to_pay = late = 0.0
    count = 0
    for p in payments:
        if p.amount <= 0:
            continue
        weight += p.amount
        to_pay += p.amount * (p.payment_date - p.invoice_date).days
        late += p.amount * (p.payment_date - p.due_date).days
        count += 1
    if not weight:
        return PaymentPattern(None, None, 0.0, 0)
    return PaymentPattern(to_pay / weight, late / weight, weight, count)


def pattern_from_sums(weight, to_pay_sum, late_sum, count):
    """:class:`PaymentPattern` from sums computed in SQL.

    ``weight`` = sum(amount), ``to_pay_sum`` = sum(amount x days to pay),
    ``late_sum`` = sum(amount x days late): the same division as
    :func:`payment_pattern`, for figures summed set-based.
    """
    if not weight or weight <= 0:
        return PaymentPattern(None, None, 0.0, 0)
    return PaymentPattern(to_pay_sum / weight, late_sum / weight, weight, count)


def trend(values):
    """Least-squares slope of ``values`` per step (``None`` values are skipped).

    ``values`` are in time order, one per month: the slope is in units per
    month.  Fewer than two defined values give ``None``.
    """
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return cov / var


def ratio(part, whole):
    """``part / whole`` in percent, ``None`` when ``whole`` is zero."""
    if not whole:
        return None
    return part / whole * 100.0


@dataclass(frozen=True)
class OpenForeign:
    """Open receivables of one currency: in that currency and as booked."""

    currency: str
    amount_currency: float
    booked: float


@dataclass(frozen=True)
class FxExposure:
    """One currency's exposure and its unrealised gain (+) or loss (-)."""

    currency: str
    amount_currency: float
    booked: float
    at_today: float
    unrealised: float


def fx_exposure(open_items, rates, rounding=0.01):
    """Exposure per currency.

    ``open_items``: iterable of :class:`OpenForeign` (several per currency are
    added up); ``rates``: currency -> units of company currency per unit of
    that currency today.  A currency without a rate raises ``KeyError`` (the
    caller must not silently value it at zero).
    """
    totals = {}
    for item in open_items:
        cur = totals.setdefault(item.currency, [0.0, 0.0])
        cur[0] += item.amount_currency
        cur[1] += item.booked
    result = []
    rnd = money.rounder(rounding)
    for currency in sorted(totals):
        amount_currency, booked = totals[currency]
        at_today = rnd(amount_currency * rates[currency])
        booked = rnd(booked)
        result.append(
            FxExposure(
                currency, amount_currency, booked, at_today, rnd(at_today - booked)
            )
        )
    return result


@dataclass(frozen=True)
class PeriodFigures:
    """What SQL sums for one period; the input of :func:`period_kpis`."""

    date_from: date
    date_to: date
    opening_ar: float
    closing_ar: float
    closing_current_ar: float
    credit_sales: float
    # (credit sales, days) of the months ending at date_to, newest first
    months: tuple = ()


@dataclass(frozen=True)
class PeriodKpis:
    """The headline KPIs of one period."""

    dso: float | None
    dso_countback: float | None
    best_dso: float | None
    add: float | None
    cei: float | None
    overdue_share: float | None


def period_kpis(fig):
    """Headline KPIs of a :class:`PeriodFigures`."""
    days = _days(fig.date_from, fig.date_to)
    dso = dso_standard(fig.closing_ar, fig.credit_sales, days)
    best = best_possible_dso(fig.closing_current_ar, fig.credit_sales, days)
    countback = dso_countback(fig.closing_ar, list(fig.months))
    return PeriodKpis(
        dso=dso,
        dso_countback=countback.days if countback else None,
        best_dso=best,
        add=average_days_delinquent(dso, best),
        cei=cei(
            fig.opening_ar, fig.credit_sales, fig.closing_ar, fig.closing_current_ar
        ),
        overdue_share=ratio(fig.closing_ar - fig.closing_current_ar, fig.closing_ar),
    )


def change(current, previous):
    """Change of a KPI against the previous period (``None`` when either is undefined)."""
    if current is None or previous is None:
        return None
    return current - previous
