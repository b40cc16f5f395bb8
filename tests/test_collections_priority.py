"""Plain-Python tests of the collector worklist engine (no Odoo needed)."""

import math

import pytest

from conftest import load_engine

priority = load_engine("otc_collections", "priority")

Account = priority.Account


def test_factors_are_scaled_and_capped():
    scale = priority.Scale(amount_cap=1000.0, days_cap=100, late_cap=50)
    a = Account("C", 99.0, 25, avg_days_late=10.0, promises_made=4, promises_broken=1)
    amount, days, lateness, broken = priority.factors(a, scale)
    assert amount == pytest.approx(math.log(100) / math.log(1001))
    assert (days, lateness, broken) == (0.25, 0.2, 0.25)
    big = Account("D", 10**7, 1000, avg_days_late=500.0)
    assert priority.factors(big, scale)[:3] == (1.0, 1.0, 1.0)


def test_score_is_weighted_average_on_0_100():
    scale = priority.Scale(amount_cap=1000.0, days_cap=100, late_cap=50)
    weights = priority.Weights(amount=1, days=2, lateness=0, broken=1)
    a = Account("C", 1000.0, 50, avg_days_late=50.0, promises_made=2, promises_broken=2)
    # (1 * 1.0 + 2 * 0.5 + 0 * 1.0 + 1 * 1.0) / 4
    assert priority.score(a, weights, scale).score == 75.0
    top = Account(
        "T", 1e9, 999, avg_days_late=999.0, promises_made=1, promises_broken=1
    )
    assert priority.score(top).score == 100.0
    assert priority.score(Account("Z", 0.0, 40)).score == 0.0


def test_no_history_is_not_penalised():
    plain = Account("A", 5000.0, 30)
    bad = plain._replace(avg_days_late=30.0, promises_made=3, promises_broken=3)
    assert priority.score(bad).score > priority.score(plain).score
    assert priority.score(plain).lateness == 0.0


def test_more_owed_or_older_ranks_higher():
    base = Account("A", 5000.0, 30)
    assert priority.score(base._replace(overdue_amount=6000.0)).score > (
        priority.score(base).score
    )
    assert priority.score(base._replace(days_overdue=31)).score > (
        priority.score(base).score
    )


def test_rank_is_deterministic_with_ties():
    accounts = [
        Account(3, 1000.0, 10),
        Account(1, 1000.0, 10),
        Account(2, 1000.0, 10),
        Account(9, 50_000.0, 90),
    ]
    order = [a.customer for a, _s in priority.rank(accounts)]
    assert order == [9, 1, 2, 3]
    assert [a.customer for a, _s in priority.rank(reversed(accounts))] == order


def test_weights_and_promises_validated():
    with pytest.raises(ValueError, match="negative"):
        priority.Weights(amount=-1)
    with pytest.raises(ValueError, match="positive"):
        priority.Weights(0, 0, 0, 0)
    with pytest.raises(ValueError, match="more broken promises"):
        priority.score(Account("C", 10.0, 5, promises_made=1, promises_broken=2))


def test_assignment_rules_in_priority_order():
    rules = [
        priority.Rule("generalist", sequence=99),
        priority.Rule("big-fr", sequence=5, countries="FR", min_amount=10_000),
        priority.Rule("fr", sequence=10, countries={"FR", "BE"}),
        priority.Rule("sales-7", sequence=10, salespersons=7),  # after "fr": position
        priority.Rule("small", sequence=20, max_amount=1000),
    ]
    accounts = [
        Account("a", 20_000.0, 10, country="FR"),
        Account("b", 10_000.0, 10, country="BE"),
        Account("c", 9_999.99, 10, country="FR", salesperson=7),
        Account("d", 500.0, 10, country="DE", salesperson=7),
        Account("e", 999.99, 10, country="DE"),
        Account("f", 1000.0, 10, country="DE"),
        Account("g", 1000.0, 10, country="FR"),
    ]
    result = priority.assign(accounts, rules, overrides={"g": "manual"})
    assert result == {
        "a": "big-fr",
        "b": "fr",
        "c": "fr",
        "d": "sales-7",
        "e": "small",
        "f": "generalist",
        "g": "manual",
    }
    assert priority.assign(accounts[5:6], rules[1:], default="nobody") == {
        "f": "nobody"
    }


def test_empty_amount_band_rejected():
    with pytest.raises(ValueError, match="empty"):
        priority.Rule("x", min_amount=100, max_amount=100)
