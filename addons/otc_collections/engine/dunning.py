"""Dunning engine: which level each customer reaches in a dunning run.

How it works
------------
A ``Policy`` holds ordered ``Level`` objects (by ``sequence``, which must be
positive: level ``0`` means "not dunned").  Each level says how many days
after the due date an item must be (``days``) plus a tolerance
(``grace_days``), the minimum amount the customer must owe, the channels,
an optional fee, optional late-payment interest and whether the level puts
the customer on credit hold.

For one customer, ``evaluate`` takes its open items (``OpenItem``: id, due
date, residual, currency, the date up to which interest was already charged),
the ids excluded from dunning (open dispute, promise to pay still running),
its ``History`` (last level reached and the date it was reached), its open
credits and the run date, and decides:

1. **Overdue items**: an item is overdue when its due date is before the run
   date; its age is ``run_date - due_date`` in days.  Items with a negative
   residual are credits (credit notes, unapplied payments): they are added to
   ``credits`` whatever their date.  Items whose residual rounds to zero are
   paid and ignored.  Excluded overdue items are reported but not dunned.
2. **Reset**: a customer with no overdue item at all (excluded ones count as
   overdue: a disputed invoice is not paid) goes back to level 0 and its
   credit hold from dunning is lifted (``reset`` is true when it was at a
   level before).
3. **Totals**: ``overdue_total`` is the sum of the dunned (overdue, not
   excluded) items; credits are netted against it up to that total
   (``credits_netted``); ``net_due = overdue_total - credits_netted``.
4. **Candidate levels**: the customer's current level is the last policy
   level whose sequence is at most the history level (so a level deleted
   from the policy does not lose the customer's place).  Without
   ``allow_level_skip`` the only candidate is the next level; with it, every
   higher level, tried from the highest down, so the highest one that
   qualifies wins.
5. **A candidate qualifies** when all of these hold:

   * *age*: the oldest dunned item is at least ``days + grace_days`` old;
   * *amount*: ``net_due`` is at least ``min_amount`` (so a customer whose
     overdue invoices are covered by unapplied payments is not dunned);
   * *gap* (only with a history date and a current level): at least
     ``candidate.days - current.days`` days have passed since the current
     level was reached, so a customer first dunned late (e.g. at 60 days)
     is not sent the following levels on consecutive days;
   * *once a day*: the history date is before the run date.

6. **Moving** to a level charges its fee and its interest: per dunned item,
   ``residual * rate / 100 * days / basis`` rounded, where ``days`` runs from
   the due date (or due date + grace days when ``interest_after_grace``),
   or from the item's ``interest_from`` when later (the Odoo side passes
   the date up to which interest was already invoiced, so two levels never
   charge the same days twice), to the run date.  Interest is charged on the
   gross residual (credits are not netted per item).  When the total is
   below the level's ``interest_min`` no interest is charged at all.
7. **Result**: a ``DunningResult`` with the level after the run, whether it
   moved, why not (``reason``), the dunned lines (oldest first), totals, fee,
   interest, the credit-hold flag *after the run* (the new level's flag when
   it moved, the current level's otherwise, false at level 0) and an
   idempotency ``key`` made of customer, level after the run and run date.
   A second run on the same day gives the same key: either nothing was
   recorded (same inputs, same decision) or the first run was recorded
   (the history date equals the run date, so nothing moves and the level
   after the run is the one reached in the first run).

``evaluate_many`` does the same for many customers from flat rows (one SQL
query: ``customer, item id, due date, residual[, currency[, interest from]]``)
grouped in one pass; its cost is linear in the number of rows.

Amounts are floats in the policy's currency, rounded with ``policy.rounding``
(see ``money``); items in another currency are an error (the Odoo side
passes company-currency residuals, as Odoo's follow-up report does).
"""

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from . import money

CHANNEL_EMAIL = "email"
CHANNEL_LETTER = "letter"
CHANNEL_SMS = "sms"
CHANNEL_CALL = "call"
CHANNELS = (CHANNEL_EMAIL, CHANNEL_LETTER, CHANNEL_SMS, CHANNEL_CALL)

DAY_COUNT_BASES = (360, 365)

REASON_MOVED = "moved"
REASON_RESET = "reset"
REASON_NOTHING_OVERDUE = "nothing_overdue"
REASON_ALL_EXCLUDED = "all_excluded"
REASON_ALREADY_RUN = "already_run"
REASON_TOP_LEVEL = "top_level"
REASON_NOT_OVERDUE_ENOUGH = "not_overdue_enough"
REASON_BELOW_MINIMUM = "below_minimum"
REASON_TOO_SOON = "too_soon"


class OpenItem(NamedTuple):
    """An open receivable item; a plain tuple in this order works as well."""

    id: object
    due_date: date
    residual: float
    currency: str | None = None
    interest_from: date | None = None


class History(NamedTuple):
    level: int = 0
    reached_on: date | None = None


class DunningLine(NamedTuple):
    item_id: object
    due_date: date
    residual: float
    days_overdue: int
    interest_days: int = 0
    interest: float = 0.0


@dataclass(frozen=True)
class Level:
    sequence: int
    days: int
    name: str = ""
    grace_days: int = 0
    min_amount: float = 0.0
    channels: tuple = (CHANNEL_EMAIL,)
    # a fee product's price is resolved by the Odoo side and passed here
    fee_amount: float = 0.0
    fee_product_id: object = None
    interest_rate: float = 0.0
    interest_basis: int = 365
    interest_min: float = 0.0
    interest_after_grace: bool = False
    credit_hold: bool = False

    def __post_init__(self):
        if not isinstance(self.sequence, int) or self.sequence <= 0:
            raise ValueError(
                f"a dunning level sequence must be a positive integer "
                f"(0 means no level), not {self.sequence!r}"
            )
        for field_name in ("days", "grace_days"):
            if getattr(self, field_name) < 0:
                raise ValueError(
                    f"level {self.sequence}: {field_name} cannot be negative"
                )
        for field_name in ("min_amount", "fee_amount", "interest_rate", "interest_min"):
            if getattr(self, field_name) < 0:
                raise ValueError(
                    f"level {self.sequence}: {field_name} cannot be negative"
                )
        channels = (
            (self.channels,) if isinstance(self.channels, str) else tuple(self.channels)
        )
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(
                f"level {self.sequence}: unknown channel(s) {unknown}, "
                f"expected some of {list(CHANNELS)}"
            )
        object.__setattr__(self, "channels", channels)
        if self.interest_basis not in DAY_COUNT_BASES:
            raise ValueError(
                f"level {self.sequence}: interest basis must be 360 or 365, "
                f"not {self.interest_basis!r}"
            )

    @property
    def threshold(self):
        """Age in days the oldest item must reach for this level."""
        return self.days + self.grace_days


@dataclass(frozen=True)
class Policy:
    levels: tuple
    allow_level_skip: bool = False
    rounding: float = 0.01
    currency: str | None = None

    def __post_init__(self):
        levels = tuple(sorted(self.levels, key=lambda lvl: lvl.sequence))
        if not levels:
            raise ValueError("a dunning policy needs at least one level")
        for prev, lvl in zip(levels, levels[1:]):
            if prev.sequence == lvl.sequence:
                raise ValueError(f"two dunning levels have sequence {lvl.sequence}")
            # a later level that triggers earlier would make skipping and the
            # gap rule ambiguous
            if lvl.days < prev.days:
                raise ValueError(
                    f"level {lvl.sequence} ({lvl.days} days) comes after level "
                    f"{prev.sequence} ({prev.days} days): days must not decrease"
                )
        money.decimals(self.rounding)  # validates the rounding
        object.__setattr__(self, "levels", levels)

    def level(self, sequence):
        for lvl in self.levels:
            if lvl.sequence == sequence:
                return lvl
        raise KeyError(sequence)

    def position(self, sequence):
        """Number of policy levels at or below ``sequence`` (0 = no level)."""
        count = 0
        for lvl in self.levels:
            if lvl.sequence > sequence:
                break
            count += 1
        return count


@dataclass(frozen=True)
class DunningResult:
    customer: object
    run_date: date
    previous_level: int
    level: int
    moved: bool
    reset: bool
    reason: str
    lines: tuple = ()
    excluded_ids: tuple = ()
    overdue_total: float = 0.0
    credits: float = 0.0
    credits_netted: float = 0.0
    net_due: float = 0.0
    fee_amount: float = 0.0
    fee_product_id: object = None
    interest_total: float = 0.0
    credit_hold: bool = False
    channels: tuple = ()
    key: str = ""

    @property
    def total_due(self):
        """Net amount due plus what this run charges (fee and interest)."""
        return self.net_due + self.fee_amount + self.interest_total


def _line_age(line):
    return line[3]


def idempotency_key(customer, level, run_date):
    """Key of a customer's dunning decision for a run date."""
    return f"dunning/{customer}/{level}/{run_date.isoformat()}"


def _qualifies(lvl, current, history_date, run_ord, oldest_days, net_due, rounding):
    """Reason a level is refused, or ``REASON_MOVED`` when it qualifies."""
    if oldest_days < lvl.threshold:
        return REASON_NOT_OVERDUE_ENOUGH
    if lvl.min_amount and money.compare(net_due, lvl.min_amount, rounding) < 0:
        return REASON_BELOW_MINIMUM
    if current is not None and history_date is not None:
        if run_ord - history_date.toordinal() < lvl.days - current.days:
            return REASON_TOO_SOON
    return REASON_MOVED


def _interest(lvl, lines, interest_from, run_ord, round_to):
    """Dunning lines with interest, and the total (0 below the minimum)."""
    rate = lvl.interest_rate / 100.0 / lvl.interest_basis
    offset = lvl.grace_days if lvl.interest_after_grace else 0
    result = []
    total = 0.0
    for line in lines:
        start = line[1].toordinal() + offset
        charged_to = interest_from.get(line[0])
        if charged_to is not None:
            start = max(start, charged_to.toordinal())
        interest_days = max(0, run_ord - start)
        interest = round_to(line[2] * rate * interest_days)
        total += interest
        result.append(line._replace(interest_days=interest_days, interest=interest))
    total = round_to(total)
    if lvl.interest_min and total < round_to(lvl.interest_min):
        result = [line._replace(interest=0.0) for line in result]
        total = 0.0
    return result, total


def _scan(items, customer, run_ord, excluded_ids, currency, round_to, half):
    """Split a customer's items into dunned lines, excluded ids and credits."""
    # this loop is the hot path of evaluate_many: lines are built once, as
    # tuples of the named-tuple class without its slower keyword constructor
    new_line = tuple.__new__
    lines = []
    interest_from = {}
    excluded = []
    credits = 0.0
    any_overdue = False
    for item in items:
        residual = item[2]
        size = len(item)
        if size > 3 and currency and item[3] and item[3] != currency:
            raise ValueError(
                f"item {item[0]!r} of customer {customer!r} is in {item[3]}, "
                f"the dunning policy in {currency}"
            )
        if residual < -half:
            credits -= residual
            continue
        if residual < half:
            continue
        days = run_ord - item[1].toordinal()
        if days <= 0:
            continue
        any_overdue = True
        if item[0] in excluded_ids:
            excluded.append(item[0])
            continue
        lines.append(
            new_line(DunningLine, (item[0], item[1], round_to(residual), days, 0, 0.0))
        )
        if size > 4 and item[4] is not None:
            interest_from[item[0]] = item[4]
    # oldest first; sorting on the age only, as ids need not be comparable
    lines.sort(key=_line_age, reverse=True)
    return lines, interest_from, excluded, credits, any_overdue


def _choose(policy, position, history, run_date, oldest, net_due):
    """The level to move to (or None) and the reason."""
    current = policy.levels[position - 1] if position else None
    if history.level and history.reached_on is not None:
        if history.reached_on >= run_date:
            return None, REASON_ALREADY_RUN
    candidates = policy.levels[position:]
    if not candidates:
        return None, REASON_TOP_LEVEL
    if policy.allow_level_skip:
        candidates = candidates[::-1]
    else:
        candidates = candidates[:1]
    run_ord = run_date.toordinal()
    reason = None
    for lvl in candidates:
        # iterating down, the last reason kept is the next level's, the one a
        # collector wants to see
        reason = _qualifies(
            lvl, current, history.reached_on, run_ord, oldest, net_due, policy.rounding
        )
        if reason == REASON_MOVED:
            return lvl, reason
    return None, reason


def evaluate(
    policy, customer, items, run_date, history=None, excluded_ids=(), credits=0.0
):
    """Decide the dunning of one customer for ``run_date`` (see module doc)."""
    rounding = policy.rounding
    round_to = money.rounder(rounding)
    if history is None:
        history = History()
    elif not isinstance(history, History):
        history = History(*history)
    prev_level = history.level or 0
    run_ord = run_date.toordinal()
    if credits < 0:
        raise ValueError("credits are given as a positive amount")
    if not isinstance(excluded_ids, (set, frozenset, dict)):
        excluded_ids = set(excluded_ids)

    lines, interest_from, excluded, item_credits, any_overdue = _scan(
        items, customer, run_ord, excluded_ids, policy.currency, round_to, rounding / 2
    )
    overdue_total = round_to(sum(line[2] for line in lines))
    credits = round_to(credits + item_credits)
    netted = min(credits, overdue_total)
    net_due = round_to(overdue_total - netted)
    common = {
        "customer": customer,
        "run_date": run_date,
        "previous_level": prev_level,
        "excluded_ids": tuple(excluded),
        "overdue_total": overdue_total,
        "credits": credits,
        "credits_netted": netted,
        "net_due": net_due,
    }
    if not any_overdue:
        return DunningResult(
            level=0,
            moved=False,
            reset=prev_level > 0,
            reason=REASON_RESET if prev_level > 0 else REASON_NOTHING_OVERDUE,
            key=idempotency_key(customer, 0, run_date),
            **common,
        )

    position = policy.position(prev_level)
    if lines:
        oldest = lines[0][3]
        target, reason = _choose(policy, position, history, run_date, oldest, net_due)
    else:
        target, reason = None, REASON_ALL_EXCLUDED
    if target is None:
        current = policy.levels[position - 1] if position else None
        level = current.sequence if current else 0
        return DunningResult(
            level=level,
            moved=False,
            reset=False,
            reason=reason,
            lines=tuple(lines),
            credit_hold=bool(current and current.credit_hold),
            key=idempotency_key(customer, level, run_date),
            **common,
        )

    interest_total = 0.0
    if target.interest_rate:
        lines, interest_total = _interest(
            target, lines, interest_from, run_ord, round_to
        )
    return DunningResult(
        level=target.sequence,
        moved=True,
        reset=False,
        reason=REASON_MOVED,
        lines=tuple(lines),
        fee_amount=round_to(target.fee_amount),
        fee_product_id=target.fee_product_id,
        interest_total=interest_total,
        credit_hold=target.credit_hold,
        channels=target.channels,
        key=idempotency_key(customer, target.sequence, run_date),
        **common,
    )


def evaluate_many(
    policy, rows, run_date, histories=None, excluded_ids=(), credits=None
):
    """Evaluate many customers at once; returns ``{customer: DunningResult}``.

    ``rows``: ``(customer, item id, due date, residual[, currency[,
    interest from]])`` in any order, e.g. straight from a cursor; negative
    residuals are credits.  ``histories``: ``{customer: History or (level,
    date)}``; a customer with a history level but no row is reset.
    ``excluded_ids``: item ids (a set) excluded for every customer.
    ``credits``: ``{customer: amount}`` of extra credits.  Customers come out
    in the order of their first row, then those known only from history.
    """
    histories = histories or {}
    credits = credits or {}
    if not isinstance(excluded_ids, (set, frozenset, dict)):
        excluded_ids = set(excluded_ids)
    groups = {}
    for row in rows:
        customer = row[0]
        group = groups.get(customer)
        if group is None:
            groups[customer] = group = []
        group.append(row[1:])
    for customer, history in histories.items():
        if customer not in groups and history and history[0]:
            groups[customer] = []
    return {
        customer: evaluate(
            policy,
            customer,
            items,
            run_date,
            histories.get(customer),
            excluded_ids,
            credits.get(customer, 0.0),
        )
        for customer, items in groups.items()
    }
