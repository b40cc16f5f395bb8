"""Which days of a window are read from the monthly summary, which from the ledger.

How it works
------------
The KPIs sum, over a window of days, the credit sales and the invoice parts
reconciled (``otc.receivable.month`` keeps both per month). A month's
summary row covers its first day to its ``last day``: the month's end for a
closed month, yesterday for the open month (the daily job summarises it as
far as yesterday). Summing a month from the summary costs one row; summing
days from the ledger costs every journal item and reconciliation of those
days. A reader may also *cut* the window: ``cuts`` are days after which it
keeps figures apart (the end of the previous period, the middle of the
worsening payers' six months), so a month holding a cut falls in two (or
more) *sides*, each summed on its own.

:func:`plan` decides, month by month, for the part of the month inside the
window:

- **not summarised**: every day of it from the ledger;
- **summarised**: either every day of it from the ledger (*direct*), or the
  summary row counted on the month's largest side, minus the ledger's days
  of the summary's span outside that side (counted on that side too), plus
  the ledger's days of the other sides (counted on their own dates) and the
  days past the summary's last day. A side is ``summary - what is not it``.
  The cheaper of the two in days read from the ledger wins: a whole month
  reads nothing, a month cut near its end reads the few days after the cut
  twice (once taken off the large side, once on their own), the open month
  reads today.

Every amount is counted once on the side its date falls in, so any sum the
reader groups by side (or not at all) equals the ledger's. What the plan
gives back:

- ``months``: ``(first day of a summarised month, day its row counts on)``;
- ``ledger``: :class:`Piece` ranges of days read from the ledger, each with
  its sign and the day it counts on (``None``: each item on its own date).
"""

from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Piece:
    """Days ``start`` to ``end`` read from the ledger, added (``sign`` 1) or
    taken off (``sign`` -1), each amount counted on ``day`` (``None``: its
    own date)."""

    start: date
    end: date
    sign: int = 1
    day: date | None = None

    @property
    def days(self):
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Plan:
    months: tuple
    ledger: tuple

    @property
    def ledger_days(self):
        """Days read from the ledger (a day read twice counts twice)."""
        return sum(piece.days for piece in self.ledger)


def month_start(day):
    return day.replace(day=1)


def month_end(day):
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - ONE_DAY


def _days(start, end):
    return max((end - start).days + 1, 0)


def _sides(start, end, cuts):
    """``start``..``end`` split after each cut inside it."""
    sides = []
    for cut in sorted(c for c in set(cuts) if start <= c < end):
        sides.append((start, cut))
        start = cut + ONE_DAY
    sides.append((start, end))
    return sides


def _month_plan(first, start, end, last, cuts):
    """``(summary day or None, pieces)`` for the days ``start``..``end`` of
    the month beginning ``first``, summarised up to ``last`` (``None``: not
    summarised)."""
    direct = [Piece(start, end)]
    if last is None or last < start:
        return None, direct
    sides = _sides(start, end, cuts)

    def covered(side):
        return _days(side[0], min(side[1], last))

    large = max(sides, key=covered)
    # through the summary: the span outside the large side taken off, the
    # other sides (within the span) read on their own dates
    span_outside = covered((first, last)) - covered(large)
    others = sum(covered(side) for side in sides if side != large)
    if span_outside + others >= covered((start, end)):
        return None, direct
    day = large[0]
    pieces = []
    if first < large[0]:
        pieces.append(Piece(first, large[0] - ONE_DAY, -1, day))
    if large[1] < last:
        pieces.append(Piece(large[1] + ONE_DAY, last, -1, day))
    for side in sides:
        if side != large and side[0] <= last:
            pieces.append(Piece(side[0], min(side[1], last)))
    if end > last:
        pieces.append(Piece(max(start, last + ONE_DAY), end))
    return day, pieces


def plan(date_from, date_to, summarised, cuts=()):
    """The :class:`Plan` of the days ``date_from`` to ``date_to``.

    ``summarised``: ``{first day of a month: last day its summary covers}``
    for the months with a current summary; ``cuts``: days after which the
    reader keeps figures apart."""
    months, pieces = [], []
    first = month_start(date_from)
    while first <= date_to:
        end = month_end(first)
        day, month_pieces = _month_plan(
            first,
            max(first, date_from),
            min(end, date_to),
            summarised.get(first),
            cuts,
        )
        if day is not None:
            months.append((first, day))
        pieces.extend(month_pieces)
        first = end + ONE_DAY
    return Plan(tuple(months), tuple(_merge(pieces)))


def _merge(pieces):
    """Adjacent ranges of the same sign and day as one (fewer conditions)."""
    merged = []
    for piece in sorted(pieces, key=lambda p: (p.sign, p.day or date.min, p.start)):
        if (
            merged
            and merged[-1].sign == piece.sign
            and merged[-1].day == piece.day
            and merged[-1].end + ONE_DAY == piece.start
        ):
            merged[-1] = Piece(merged[-1].start, piece.end, piece.sign, piece.day)
        else:
            merged.append(piece)
    return merged


def ranges(plan_):
    """The days a plan reads from the ledger, whatever their sign, as sorted
    disjoint ``(start, end)`` ranges (a reader keeping amounts per day reads
    each day once)."""
    merged = []
    for piece in sorted(plan_.ledger, key=lambda p: p.start):
        if merged and piece.start <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], piece.end))
        else:
            merged.append((piece.start, piece.end))
    return merged


def sum_days(plan_, monthly, daily):
    """The total of a plan from ``monthly`` (``{first day: amount}``) and
    ``daily`` (``{date: amount}``, the ledger's days): the check the tests
    make of any plan against the ledger, and a reader's fallback."""
    total = sum(monthly.get(month, 0.0) for month, _day in plan_.months)
    for piece in plan_.ledger:
        total += piece.sign * sum(
            daily.get(piece.start + timedelta(days=i), 0.0) for i in range(piece.days)
        )
    return total
