"""Aging buckets and customer statements.

How it works
------------
**Buckets.**  A bucket spec is a list of upper bounds, in days overdue, such
as ``"0,30,60,90"``.  Each bound closes a bucket (inclusive) and one more
bucket holds everything above the last bound, so ``0,30,60,90`` gives
*Current* (not yet due or due today: 0 days or less), *1-30*, *31-60*,
*61-90* and *Over 90*.  The first bucket always takes the items not yet due:
with ``30,60`` it is *Up to 30* and holds current items too.  Bounds must be
non-negative integers in strictly increasing order; ``parse_buckets`` says
which token is wrong and why.

An item's age is ``as_of - due_date`` in days (negative when not yet due),
and ``bisect_left`` on the bounds gives its bucket: the first bound at least
equal to the age.  ``age_items`` adds the amounts per bucket (signed:
unapplied credits reduce the bucket of their date) and rounds each total;
the grand total is the rounded sum of the rounded bucket totals, so the
columns of a report always add up to its total.

**Statements.**  ``build_statement`` takes every move of a customer up to
the period end (date, type, reference, signed amount: positive when the
customer owes more, i.e. invoices; negative for payments and credit notes)
and its open items at the period end:

* the opening balance is the sum of the moves dated before the period start;
* the period lines are the moves from the start to the end date (inclusive),
  sorted by date, then invoices before credit notes before payments (so a
  same-day invoice and its payment read naturally), then reference, each
  with the running balance;
* moves after the period end are ignored;
* the closing balance is the last running balance, and ``build_statement``
  checks that it equals the opening balance plus the period lines (a
  ``ValueError`` otherwise, which would mean amounts were not rounded
  consistently);
* the open items are aged at the period end; ``open_items_difference`` is
  closing balance minus open items, which is zero when the open items given
  are those at the period end and every move is on the statement (a non-zero
  value is reported, not raised: open items taken at another date differ
  legitimately).

Every amount is rounded with ``rounding`` (half-up, see ``money``) before it
is added, so balances are sums of the figures printed on the statement.
"""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from . import money

DEFAULT_BUCKETS = (0, 30, 60, 90)

MOVE_INVOICE = "invoice"
MOVE_CREDIT_NOTE = "credit_note"
MOVE_PAYMENT = "payment"
MOVE_TYPES = (MOVE_INVOICE, MOVE_CREDIT_NOTE, MOVE_PAYMENT)
_TYPE_ORDER = {t: i for i, t in enumerate(MOVE_TYPES)}


class Bucket(NamedTuple):
    index: int
    label: str
    # inclusive bounds in days overdue; None means unbounded
    low: int | None
    high: int | None


def parse_buckets(spec):
    """Validated bounds from ``"0,30,60,90"`` or a sequence of integers."""
    if isinstance(spec, str):
        tokens = [t.strip() for t in spec.split(",")]
        if tokens == [""]:
            raise ValueError(
                "the aging bucket spec is empty: give bounds like 0,30,60,90"
            )
        bounds = []
        for position, token in enumerate(tokens, start=1):
            if not token:
                raise ValueError(
                    f"aging bucket spec {spec!r}: bound #{position} is empty"
                )
            try:
                bounds.append(int(token))
            except ValueError:
                raise ValueError(
                    f"aging bucket spec {spec!r}: bound #{position} ({token!r}) "
                    f"is not a whole number of days"
                ) from None
    else:
        bounds = list(spec)
        if not bounds:
            raise ValueError(
                "the aging bucket spec is empty: give bounds like 0,30,60,90"
            )
        for position, bound in enumerate(bounds, start=1):
            if isinstance(bound, bool) or not isinstance(bound, int):
                raise ValueError(
                    f"aging bound #{position} ({bound!r}) is not a whole number of days"
                )
    for position, bound in enumerate(bounds, start=1):
        if bound < 0:
            raise ValueError(
                f"aging bound #{position} ({bound}) is negative: bounds are days "
                f"overdue, 0 or more"
            )
    for position, (prev, bound) in enumerate(zip(bounds, bounds[1:]), start=2):
        if bound == prev:
            raise ValueError(
                f"aging bound {bound} appears twice (#{position - 1} and #{position})"
            )
        if bound < prev:
            raise ValueError(
                f"aging bounds must increase: bound #{position} ({bound}) comes "
                f"after {prev}"
            )
    return tuple(bounds)


def buckets(spec=DEFAULT_BUCKETS):
    """The ``Bucket`` list of a spec (one more bucket than bounds)."""
    bounds = parse_buckets(spec)
    first = bounds[0]
    result = [Bucket(0, "Current" if first == 0 else f"Up to {first}", None, first)]
    for index, (prev, bound) in enumerate(zip(bounds, bounds[1:]), start=1):
        result.append(Bucket(index, f"{prev + 1}-{bound}", prev + 1, bound))
    last = bounds[-1]
    result.append(Bucket(len(bounds), f"Over {last}", last + 1, None))
    return result


def bucket_index(days_overdue, bounds):
    """Index of the bucket of an item ``days_overdue`` old (bounds parsed)."""
    return bisect_left(bounds, days_overdue)


class AgedItem(NamedTuple):
    id: object
    due_date: date
    amount: float
    days_overdue: int
    bucket: int


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    buckets: tuple
    totals: tuple
    total: float
    items: tuple

    def by_label(self):
        return {b.label: t for b, t in zip(self.buckets, self.totals)}


def age_items(items, as_of, spec=DEFAULT_BUCKETS, rounding=0.01):
    """Age ``(id, due date, amount)`` items at ``as_of``."""
    bounds = parse_buckets(spec)
    round_to = money.rounder(rounding)
    as_of_ord = as_of.toordinal()
    sums = [0.0] * (len(bounds) + 1)
    aged = []
    for item_id, due_date, amount in items:
        amount = round_to(amount)
        days = as_of_ord - due_date.toordinal()
        index = bisect_left(bounds, days)
        sums[index] += amount
        aged.append(AgedItem(item_id, due_date, amount, days, index))
    totals = tuple(round_to(s) for s in sums)
    return AgingReport(
        as_of=as_of,
        buckets=tuple(buckets(bounds)),
        totals=totals,
        total=round_to(sum(totals)),
        items=tuple(aged),
    )


class Move(NamedTuple):
    date: date
    type: str
    reference: str
    amount: float


class StatementLine(NamedTuple):
    date: date
    type: str
    reference: str
    amount: float
    balance: float

    @property
    def debit(self):
        return self.amount if self.amount > 0 else 0.0

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else 0.0


@dataclass(frozen=True)
class Statement:
    start: date
    end: date
    opening_balance: float
    lines: tuple
    closing_balance: float
    aging: AgingReport
    open_items_difference: float

    @property
    def reconciles(self):
        return self.open_items_difference == 0.0


def build_statement(
    start, end, moves, open_items=(), spec=DEFAULT_BUCKETS, rounding=0.01
):
    """Statement of account from ``start`` to ``end`` (both inclusive)."""
    if end < start:
        raise ValueError(f"statement period ends ({end}) before it starts ({start})")
    round_to = money.rounder(rounding)
    opening = 0.0
    period = []
    for move in moves:
        move = Move(*move)
        if move.type not in _TYPE_ORDER:
            raise ValueError(
                f"move {move.reference!r}: unknown type {move.type!r}, "
                f"expected one of {list(MOVE_TYPES)}"
            )
        amount = round_to(move.amount)
        if move.date < start:
            opening += amount
        elif move.date <= end:
            period.append(move._replace(amount=amount))
    opening = round_to(opening)
    period.sort(key=lambda m: (m.date, _TYPE_ORDER[m.type], str(m.reference)))
    balance = opening
    lines = []
    for move in period:
        balance = round_to(balance + move.amount)
        lines.append(StatementLine(*move, balance))
    closing = balance
    if not money.is_zero(
        closing - opening - sum(line.amount for line in lines), rounding
    ):
        raise ValueError(
            f"statement does not balance: closing {closing} != opening {opening} "
            f"+ period lines"
        )
    aging = age_items(open_items, end, spec, rounding)
    return Statement(
        start=start,
        end=end,
        opening_balance=opening,
        lines=tuple(lines),
        closing_balance=closing,
        aging=aging,
        open_items_difference=round_to(closing - aging.total),
    )
