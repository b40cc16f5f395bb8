"""Promises to pay: kept, broken, partially kept or still open.

How it works
------------
A ``Promise`` says that a customer will pay ``amount`` by ``promise_date``,
either on given invoices (``invoice_ids``) or on its account as a whole
(no invoice ids).  Its *deadline* is ``promise_date + grace_days``.

A ``Payment`` is one allocation of money received: date, amount, customer
and the invoice it was reconciled with (``None`` for a payment not yet
matched to an invoice).  The Odoo side builds them from the partial
reconciliations of the customer's receivable lines (one row per invoice a
payment was matched with), plus one row per unmatched payment.

A payment counts for a promise when it is received on or after the day the
promise was created, on or before the deadline and on or before the
evaluation date, and when it is in the promise's scope: for a promise on
invoices, a payment matched to one of them; for a promise on the account,
any payment of the customer, matched or not.  Unmatched payments do not
count for promises on invoices: until the payment is matched nobody knows
which invoice it pays.

``evaluate`` allocates payments to promises so that no money counts twice:
promises are taken by deadline (then creation date, then input order), each
takes what it still needs from the payments in its scope, oldest payment
first.  Then, comparing with the currency rounding:

* paid at least the amount: **kept** (even before the deadline);
* otherwise, evaluation date on or before the deadline: **open**;
* otherwise, paid something: **partial**; nothing: **broken**.

Broken and partially kept promises end the protection of their invoices:
``resumes_dunning`` is true for them, and ``broken_as_of`` lists them.
``protected_scope`` returns what dunning must leave out on a date: the
invoices of the promises whose deadline has not passed (kept or open: a
customer who paid early is not chased for the rest before the date it
promised) and the customers with such a promise on their whole account.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from . import money

STATUS_OPEN = "open"
STATUS_KEPT = "kept"
STATUS_PARTIAL = "partial"
STATUS_BROKEN = "broken"


@dataclass(frozen=True)
class Promise:
    id: object
    customer: object
    promise_date: date
    amount: float
    created_date: date
    invoice_ids: frozenset = frozenset()

    def __post_init__(self):
        if not self.amount > 0:
            raise ValueError(f"promise {self.id!r}: the amount must be positive")
        if self.promise_date < self.created_date:
            raise ValueError(
                f"promise {self.id!r}: promised for {self.promise_date}, "
                f"before it was made ({self.created_date})"
            )
        object.__setattr__(self, "invoice_ids", frozenset(self.invoice_ids or ()))

    def deadline(self, grace_days=0):
        return self.promise_date + timedelta(days=grace_days)


class Payment(NamedTuple):
    date: date
    amount: float
    customer: object
    invoice_id: object = None


class PromiseResult(NamedTuple):
    promise: Promise
    status: str
    paid: float
    shortfall: float
    deadline: date
    payments: tuple  # (payment index in the input, amount counted)

    @property
    def resumes_dunning(self):
        return self.status in (STATUS_BROKEN, STATUS_PARTIAL)


def _in_scope(promise, payment):
    if payment.customer != promise.customer:
        return False
    if promise.invoice_ids:
        return payment.invoice_id in promise.invoice_ids
    return True


def evaluate(promises, payments, as_of, grace_days=0, rounding=0.01):
    """``PromiseResult`` per promise, in the order of ``promises``."""
    if grace_days < 0:
        raise ValueError("promise grace days cannot be negative")
    round_to = money.rounder(rounding)
    payments = [Payment(*p) for p in payments]
    remaining = [round_to(p.amount) for p in payments]
    by_date = sorted(range(len(payments)), key=lambda i: payments[i].date)
    order = sorted(
        range(len(promises)),
        key=lambda i: (promises[i].deadline(grace_days), promises[i].created_date, i),
    )
    results = [None] * len(promises)
    for i in order:
        promise = promises[i]
        deadline = promise.deadline(grace_days)
        last_day = min(deadline, as_of)
        target = round_to(promise.amount)
        paid = 0.0
        used = []
        for j in by_date:
            payment = payments[j]
            if payment.date > last_day:
                break
            if (
                remaining[j] <= 0
                or payment.date < promise.created_date
                or not _in_scope(promise, payment)
            ):
                continue
            take = min(remaining[j], round_to(target - paid))
            remaining[j] = round_to(remaining[j] - take)
            paid = round_to(paid + take)
            used.append((j, take))
            if money.compare(paid, target, rounding) >= 0:
                break
        if money.compare(paid, target, rounding) >= 0:
            status = STATUS_KEPT
        elif as_of <= deadline:
            status = STATUS_OPEN
        elif paid > 0:
            status = STATUS_PARTIAL
        else:
            status = STATUS_BROKEN
        results[i] = PromiseResult(
            promise, status, paid, round_to(target - paid), deadline, tuple(used)
        )
    return results


def broken_as_of(promises, payments, as_of, grace_days=0, rounding=0.01):
    """Results of the promises broken or partially kept at ``as_of``."""
    return [
        r
        for r in evaluate(promises, payments, as_of, grace_days, rounding)
        if r.resumes_dunning
    ]


class ProtectedScope(NamedTuple):
    invoice_ids: frozenset
    customers: frozenset


def protected_scope(promises, as_of, grace_days=0):
    """Invoices and whole customers dunning must leave out at ``as_of``."""
    invoice_ids = set()
    customers = set()
    for promise in promises:
        if promise.created_date <= as_of <= promise.deadline(grace_days):
            if promise.invoice_ids:
                invoice_ids |= promise.invoice_ids
            else:
                customers.add(promise.customer)
    return ProtectedScope(frozenset(invoice_ids), frozenset(customers))
