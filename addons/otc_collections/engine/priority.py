"""Collector worklist: priority scores and collector assignment.

How it works
------------
**Score.**  Each customer on the worklist (``Account``) gets four factors,
each scaled to 0..1 against a fixed cap so that a customer's score does not
depend on who else is on the list:

* ``amount``: overdue amount on a log scale, ``log1p(amount) /
  log1p(amount_cap)``; a log because collectors care about orders of
  magnitude (a 50,000 balance matters more than a 5,000 one, but not ten
  times more than it);
* ``days``: days overdue of the oldest overdue item / ``days_cap``;
* ``lateness``: the customer's average days late on past payments /
  ``late_cap``;
* ``broken``: share of its promises to pay that were broken (0..1).

Each factor is capped at 1; the score is ``100 * sum(weight * factor) /
sum(weights)`` rounded to 2 decimals, so it is 0..100 whatever the weights.
Default ``Weights``: amount 0.40, days 0.30, lateness 0.15, broken promises
0.15: what is owed and for how long drive the list, the history only
reorders similar balances.  A customer without history (``None``) scores 0
on those factors: unknown is not treated as bad.  Nothing overdue scores 0.

``rank`` orders a worklist by score, then overdue amount, then days overdue
(all descending), then customer key (ascending) so that equal scores always
come out in the same order; the keys must be mutually comparable (record
ids).

**Assignment.**  ``assign`` gives each customer a collector: a manual
override (``{customer: collector}``) wins; otherwise the first matching
``Rule`` in ``(sequence, position)`` order; otherwise the default collector.
A rule matches when every criterion it sets matches: ``countries`` (the
customer's country code is one of them), ``salespersons`` (its salesperson
is one of them) and the amount band ``min_amount <= overdue < max_amount``
(a missing bound is open).  A rule without criteria matches everyone.
"""

import math
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Weights:
    amount: float = 0.40
    days: float = 0.30
    lateness: float = 0.15
    broken: float = 0.15

    def __post_init__(self):
        values = (self.amount, self.days, self.lateness, self.broken)
        if any(w < 0 for w in values):
            raise ValueError("priority weights cannot be negative")
        if not sum(values) > 0:
            raise ValueError("at least one priority weight must be positive")


@dataclass(frozen=True)
class Scale:
    amount_cap: float = 100_000.0
    days_cap: int = 120
    late_cap: int = 60

    def __post_init__(self):
        if self.amount_cap <= 0 or self.days_cap <= 0 or self.late_cap <= 0:
            raise ValueError("priority caps must be positive")


class Account(NamedTuple):
    customer: object
    overdue_amount: float
    days_overdue: int
    avg_days_late: float | None = None
    promises_made: int = 0
    promises_broken: int = 0
    country: str | None = None
    salesperson: object = None


class Scored(NamedTuple):
    customer: object
    score: float
    amount: float
    days: float
    lateness: float
    broken: float


def _capped(value, cap):
    if not value or value <= 0:
        return 0.0
    return min(1.0, value / cap)


def factors(account, scale=Scale()):
    """The four 0..1 factors of an account: amount, days, lateness, broken."""
    amount = account.overdue_amount
    amount_factor = 0.0
    if amount and amount > 0:
        amount_factor = min(1.0, math.log1p(amount) / math.log1p(scale.amount_cap))
    if account.promises_broken > account.promises_made:
        raise ValueError(
            f"customer {account.customer!r}: more broken promises "
            f"({account.promises_broken}) than promises ({account.promises_made})"
        )
    broken = (
        account.promises_broken / account.promises_made
        if account.promises_made
        else 0.0
    )
    return (
        amount_factor,
        _capped(account.days_overdue, scale.days_cap),
        _capped(account.avg_days_late, scale.late_cap),
        broken,
    )


def score(account, weights=Weights(), scale=Scale()):
    """Priority score of one account, ``Scored`` (score 0..100)."""
    if not account.overdue_amount or account.overdue_amount <= 0:
        return Scored(account.customer, 0.0, 0.0, 0.0, 0.0, 0.0)
    f = factors(account, scale)
    w = (weights.amount, weights.days, weights.lateness, weights.broken)
    value = 100.0 * sum(a * b for a, b in zip(w, f)) / sum(w)
    return Scored(account.customer, round(value, 2), *f)


def rank(accounts, weights=Weights(), scale=Scale()):
    """``(account, Scored)`` pairs, highest priority first (see module doc)."""
    pairs = [(a, score(a, weights, scale)) for a in accounts]
    pairs.sort(
        key=lambda p: (
            -p[1].score,
            -p[0].overdue_amount,
            -p[0].days_overdue,
            p[0].customer,
        )
    )
    return pairs


@dataclass(frozen=True)
class Rule:
    collector: object
    sequence: int = 10
    countries: frozenset = frozenset()
    salespersons: frozenset = frozenset()
    min_amount: float | None = None
    max_amount: float | None = None

    def __post_init__(self):
        for name in ("countries", "salespersons"):
            value = getattr(self, name)
            if isinstance(value, (str, int)):
                value = (value,)
            object.__setattr__(self, name, frozenset(value or ()))
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.max_amount <= self.min_amount
        ):
            raise ValueError(
                f"rule for {self.collector!r}: amount band [{self.min_amount}, "
                f"{self.max_amount}) is empty"
            )

    def matches(self, account):
        if self.countries and account.country not in self.countries:
            return False
        if self.salespersons and account.salesperson not in self.salespersons:
            return False
        amount = account.overdue_amount or 0.0
        if self.min_amount is not None and amount < self.min_amount:
            return False
        if self.max_amount is not None and amount >= self.max_amount:
            return False
        return True


def assign(accounts, rules, overrides=None, default=None):
    """``{customer: collector}`` for every account (see module doc)."""
    overrides = overrides or {}
    ordered = [
        rule
        for _position, rule in sorted(
            enumerate(rules), key=lambda p: (p[1].sequence, p[0])
        )
    ]
    result = {}
    for account in accounts:
        customer = account.customer
        if customer in overrides:
            result[customer] = overrides[customer]
            continue
        result[customer] = next(
            (rule.collector for rule in ordered if rule.matches(account)), default
        )
    return result
