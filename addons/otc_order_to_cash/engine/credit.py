"""Credit decision engine.

How it works
------------
The Odoo side gathers, for one customer (commercial entity) in one company:

* its *credit profile*: policy (block / warn / approval), credit limit (0 means
  no limit, as in Odoo), whether it is on credit hold, and the maximum number of
  days an item may be overdue (``None`` disables that check);
* its *exposure* before the order, already netted by the components the
  company switched on (see ``otc.credit.exposure``);
* the oldest overdue item's age in days;
* the order amount in company currency and, if a credit manager approved this
  order before, the approved amount.

``evaluate`` turns that into a ``Decision``: ``pass`` when nothing is wrong (or
an approval covers the order amount), otherwise the policy's action with every
reason found.  An approval only covers the amount approved: an order that grew
since is judged again, reasons and all.

``alert_level`` and ``level_rises`` serve the daily credit alerts: a customer is
``near`` its limit at or above a share of it, ``over`` above it; an alert is
raised only when the level rises, so a customer that stays over its limit is
reported once, and again only after it went back under and crossed again.

Amounts are plain floats in company currency; ``precision`` is the currency
rounding, used so that an exposure equal to the limit is not "over" it.
"""

from dataclasses import dataclass

POLICY_BLOCK = "block"
POLICY_WARN = "warn"
POLICY_APPROVAL = "approval"
POLICIES = (POLICY_BLOCK, POLICY_WARN, POLICY_APPROVAL)

ACTION_PASS = "pass"

REASON_HOLD = "hold"
REASON_LIMIT = "limit"
REASON_OVERDUE = "overdue"

LEVEL_NONE = "none"
LEVEL_NEAR = "near"
LEVEL_OVER = "over"
_LEVEL_RANK = {LEVEL_NONE: 0, LEVEL_NEAR: 1, LEVEL_OVER: 2}


@dataclass(frozen=True)
class CreditProfile:
    policy: str = POLICY_BLOCK
    limit: float = 0.0
    on_hold: bool = False
    max_overdue_days: int | None = None

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ValueError(f"unknown credit policy {self.policy!r}")
        if self.limit < 0:
            raise ValueError("a credit limit cannot be negative")


@dataclass(frozen=True)
class Reason:
    code: str
    # limit: exposure after the order and the limit; overdue: days and allowed
    value: float = 0.0
    threshold: float = 0.0


@dataclass(frozen=True)
class Decision:
    action: str
    reasons: tuple = ()
    exposure_after: float = 0.0
    covered_by_approval: bool = False
    limit: float = 0.0

    @property
    def passed(self):
        return self.action == ACTION_PASS


def _greater(a, b, precision):
    return a - b > precision / 2.0


def evaluate(
    profile,
    exposure,
    order_amount,
    oldest_overdue_days=0,
    approved_amount=None,
    precision=0.01,
    order_total=None,
):
    """Decide what confirming an order of ``order_amount`` should do.

    ``order_total`` is the whole order amount an approval must cover; it
    differs from ``order_amount`` when a confirmed order grows and only the
    increase adds to the exposure.
    """
    if order_amount < 0:
        order_amount = 0.0
    if order_total is None:
        order_total = order_amount
    exposure_after = exposure + order_amount
    if approved_amount is not None and not _greater(
        order_total, approved_amount, precision
    ):
        return Decision(
            ACTION_PASS,
            (),
            exposure_after,
            covered_by_approval=True,
            limit=profile.limit,
        )
    reasons = []
    if profile.on_hold:
        reasons.append(Reason(REASON_HOLD))
    if profile.limit and _greater(exposure_after, profile.limit, precision):
        reasons.append(Reason(REASON_LIMIT, exposure_after, profile.limit))
    if (
        profile.max_overdue_days is not None
        and oldest_overdue_days > profile.max_overdue_days
    ):
        reasons.append(
            Reason(REASON_OVERDUE, oldest_overdue_days, profile.max_overdue_days)
        )
    if not reasons:
        return Decision(ACTION_PASS, (), exposure_after, limit=profile.limit)
    return Decision(profile.policy, tuple(reasons), exposure_after, limit=profile.limit)


def alert_level(limit, exposure, threshold_percent, precision=0.01):
    """Where a customer stands against its limit: none, near or over."""
    if not limit or limit <= 0:
        return LEVEL_NONE
    if _greater(exposure, limit, precision):
        return LEVEL_OVER
    if threshold_percent and not _greater(
        limit * threshold_percent / 100.0, exposure, precision
    ):
        return LEVEL_NEAR
    return LEVEL_NONE


def level_rises(previous, current):
    """True when ``current`` is a higher alert level than ``previous``."""
    return _LEVEL_RANK[current] > _LEVEL_RANK[previous or LEVEL_NONE]


def overdue_days(today, oldest_due_date):
    """Age in days of the oldest overdue item (0 when nothing is overdue)."""
    if not oldest_due_date or oldest_due_date >= today:
        return 0
    return (today - oldest_due_date).days
