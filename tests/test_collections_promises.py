"""Plain-Python tests of the promise-to-pay engine (no Odoo needed)."""

from datetime import date

import pytest

from conftest import load_engine

promises = load_engine("otc_collections", "promises")

Promise = promises.Promise
Payment = promises.Payment

CREATED = date(2025, 6, 1)
DUE = date(2025, 6, 10)


def promise(pid=1, amount=500.0, invoices=(10,), customer="C", **kw):
    kw.setdefault("promise_date", DUE)
    kw.setdefault("created_date", CREATED)
    return Promise(pid, customer, amount=amount, invoice_ids=invoices, **kw)


def status(p, payments, as_of, grace=0):
    return promises.evaluate([p], payments, as_of, grace)[0]


def test_open_until_deadline_then_broken():
    p = promise()
    assert status(p, [], DUE).status == promises.STATUS_OPEN
    r = status(p, [], date(2025, 6, 11))
    assert r.status == promises.STATUS_BROKEN and r.resumes_dunning
    assert (r.paid, r.shortfall) == (0.0, 500.0)


def test_grace_days_extend_the_deadline():
    p = promise()
    assert status(p, [], date(2025, 6, 13), grace=3).status == promises.STATUS_OPEN
    assert status(p, [], date(2025, 6, 14), grace=3).status == promises.STATUS_BROKEN
    late = [Payment(date(2025, 6, 13), 500.0, "C", 10)]
    assert status(p, late, date(2025, 6, 20), grace=3).status == promises.STATUS_KEPT
    assert status(p, late, date(2025, 6, 20), grace=2).status == promises.STATUS_BROKEN


def test_kept_early_and_in_instalments():
    p = promise()
    pays = [
        Payment(date(2025, 6, 3), 200.0, "C", 10),
        Payment(date(2025, 6, 5), 300.0, "C", 10),
    ]
    r = status(p, pays, date(2025, 6, 6))
    assert r.status == promises.STATUS_KEPT and not r.resumes_dunning
    assert r.paid == 500.0 and r.payments == ((0, 200.0), (1, 300.0))
    # below the currency precision still counts as paid
    almost = [Payment(date(2025, 6, 3), 499.996, "C", 10)]
    assert status(p, almost, date(2025, 6, 3)).status == promises.STATUS_KEPT


def test_partial_after_deadline():
    r = status(promise(), [Payment(date(2025, 6, 4), 120.0, "C", 10)], date(2025, 7, 1))
    assert r.status == promises.STATUS_PARTIAL and r.resumes_dunning
    assert (r.paid, r.shortfall) == (120.0, 380.0)


def test_payment_scope_and_window():
    p = promise(invoices=(10, 11))
    ignored = [
        Payment(date(2025, 5, 31), 500.0, "C", 10),  # before the promise
        Payment(date(2025, 6, 3), 500.0, "C", 12),  # another invoice
        Payment(date(2025, 6, 3), 500.0, "C", None),  # not matched yet
        Payment(date(2025, 6, 3), 500.0, "X", 10),  # another customer
        Payment(date(2025, 6, 20), 500.0, "C", 10),  # after the deadline
    ]
    assert status(p, ignored, date(2025, 6, 30)).status == promises.STATUS_BROKEN
    counted = [Payment(date(2025, 6, 1), 500.0, "C", 11)]  # creation day counts
    assert status(p, counted, date(2025, 6, 30)).status == promises.STATUS_KEPT
    # a promise on the whole account takes any payment of the customer
    account = promise(invoices=())
    r = status(account, ignored[1:3], date(2025, 6, 30))
    assert r.status == promises.STATUS_KEPT


def test_payments_after_as_of_do_not_count_yet():
    pays = [Payment(date(2025, 6, 8), 500.0, "C", 10)]
    assert status(promise(), pays, date(2025, 6, 5)).status == promises.STATUS_OPEN


def test_money_counts_once_across_promises():
    first = promise(1, amount=300.0, promise_date=date(2025, 6, 5))
    second = promise(2, amount=300.0, promise_date=date(2025, 6, 10))
    pays = [Payment(date(2025, 6, 4), 400.0, "C", 10)]
    # given in reverse order: allocation goes by deadline, results by input
    r2, r1 = promises.evaluate([second, first], pays, date(2025, 6, 30))
    assert (r1.promise.id, r1.status, r1.paid) == (1, promises.STATUS_KEPT, 300.0)
    assert (r2.promise.id, r2.status, r2.paid) == (2, promises.STATUS_PARTIAL, 100.0)


def test_broken_as_of_and_protected_scope():
    a = promise(1, invoices=(10,), promise_date=date(2025, 6, 5))
    b = promise(2, invoices=(20, 21), promise_date=date(2025, 6, 20))
    c = promise(3, invoices=(), customer="D", promise_date=date(2025, 6, 20))
    pays = [Payment(date(2025, 6, 2), 100.0, "C", 10)]
    broken = promises.broken_as_of([a, b, c], pays, date(2025, 6, 10))
    assert [(r.promise.id, r.status) for r in broken] == [(1, promises.STATUS_PARTIAL)]
    scope = promises.protected_scope([a, b, c], date(2025, 6, 10))
    assert scope.invoice_ids == {20, 21} and scope.customers == {"D"}
    assert promises.protected_scope([a, b, c], date(2025, 6, 21)) == (set(), set())
    assert promises.protected_scope(
        [a], date(2025, 6, 7), grace_days=2
    ).invoice_ids == {10}


def test_validation():
    with pytest.raises(ValueError, match="positive"):
        promise(amount=0)
    with pytest.raises(ValueError, match="before it was made"):
        promise(promise_date=date(2025, 5, 1))
    with pytest.raises(ValueError, match="grace"):
        promises.evaluate([promise()], [], DUE, grace_days=-1)
