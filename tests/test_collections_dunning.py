"""Plain-Python tests of the collections dunning engine (no Odoo needed)."""

import random
from datetime import date, timedelta

import pytest

from conftest import load_engine

dunning = load_engine("otc_collections", "dunning")

RUN = date(2025, 6, 30)


def ago(days):
    return RUN - timedelta(days=days)


def item(item_id, days_overdue, residual, **kw):
    return dunning.OpenItem(item_id, ago(days_overdue), residual, **kw)


def make_policy(skip=False, **kw):
    return dunning.Policy(
        (
            # deliberately out of order: the policy sorts by sequence
            dunning.Level(
                3,
                60,
                channels=("call", "letter"),
                interest_rate=10.0,
                interest_basis=360,
                interest_min=1.0,
                credit_hold=True,
            ),
            dunning.Level(1, 10, grace_days=5, min_amount=50.0),
            dunning.Level(2, 30, channels="letter", fee_amount=15.0, fee_product_id=7),
        ),
        allow_level_skip=skip,
        **kw,
    )


def run(items, history=None, policy=None, **kw):
    return dunning.evaluate(policy or make_policy(), "C1", items, RUN, history, **kw)


def test_levels_are_sorted_and_validated():
    assert [lvl.sequence for lvl in make_policy().levels] == [1, 2, 3]
    with pytest.raises(ValueError, match="sequence 2"):
        dunning.Policy((dunning.Level(2, 10), dunning.Level(2, 20)))
    with pytest.raises(ValueError, match="days must not decrease"):
        dunning.Policy((dunning.Level(1, 30), dunning.Level(2, 10)))
    with pytest.raises(ValueError, match="positive integer"):
        dunning.Level(0, 10)
    with pytest.raises(ValueError, match="unknown channel"):
        dunning.Level(1, 10, channels=("fax",))
    with pytest.raises(ValueError, match="360 or 365"):
        dunning.Level(1, 10, interest_basis=366)
    with pytest.raises(ValueError, match="negative"):
        dunning.Level(1, 10, fee_amount=-1)
    with pytest.raises(ValueError, match="at least one level"):
        dunning.Policy(())


def test_grace_days_delay_the_first_level():
    # level 1: 10 days + 5 grace days
    r = run([item(1, 14, 100.0)])
    assert (r.moved, r.level, r.reason) == (False, 0, dunning.REASON_NOT_OVERDUE_ENOUGH)
    r = run([item(1, 15, 100.0)])
    assert (r.moved, r.level, r.reason) == (True, 1, dunning.REASON_MOVED)
    assert r.channels == ("email",)


def test_item_due_today_is_not_overdue():
    r = run([dunning.OpenItem(1, RUN, 500.0)], history=(1, ago(40)))
    assert r.reset and r.level == 0 and r.lines == ()


def test_minimum_amount_is_checked_on_net_due_after_credits():
    assert run([item(1, 20, 49.99)]).reason == dunning.REASON_BELOW_MINIMUM
    assert run([item(1, 20, 50.0)]).moved  # the minimum itself is enough
    r = run([item(1, 20, 100.0), item(2, 25, 30.0)], credits=90.0)
    assert r.reason == dunning.REASON_BELOW_MINIMUM
    assert (r.overdue_total, r.credits, r.credits_netted, r.net_due) == (
        130.0,
        90.0,
        90.0,
        40.0,
    )


def test_credits_are_netted_only_up_to_the_overdue_total():
    r = run([item(1, 20, 100.0), item(2, -5, -30.0)], credits=500.0)
    assert r.credits == 530.0  # negative residuals are credits, whatever the date
    assert (r.credits_netted, r.net_due) == (100.0, 0.0)
    assert [line.item_id for line in r.lines] == [1]


def test_no_skip_moves_one_level_at_a_time():
    items = [item(1, 90, 1000.0)]
    assert run(items).level == 1
    r = run(items, history=(1, ago(40)))
    assert (r.previous_level, r.level) == (1, 2)
    assert (r.fee_amount, r.fee_product_id) == (15.0, 7)
    assert r.channels == ("letter",)


def test_skip_goes_to_the_highest_level_reached():
    r = run([item(1, 90, 1000.0)], policy=make_policy(skip=True))
    assert r.level == 3 and r.credit_hold
    r = run([item(1, 45, 1000.0)], policy=make_policy(skip=True))
    assert r.level == 2 and not r.credit_hold


def test_gap_since_previous_level():
    # level 2 is 20 days after level 1 in the policy
    items = [item(1, 90, 1000.0)]
    r = run(items, history=(1, ago(19)))
    assert (r.moved, r.level, r.reason) == (False, 1, dunning.REASON_TOO_SOON)
    assert run(items, history=(1, ago(20))).level == 2
    # with skip, level 3 needs 50 days since level 1, level 2 only 20
    skip = make_policy(skip=True)
    assert run(items, history=(1, ago(35)), policy=skip).level == 2
    assert run(items, history=(1, ago(50)), policy=skip).level == 3
    # without a date there is no gap to respect
    assert run(items, history=(1, None)).level == 2


def test_excluded_items_are_reported_not_dunned():
    items = [item(1, 40, 300.0), item(2, 90, 700.0)]
    r = run(items, history=(1, ago(30)), excluded_ids={2})
    assert r.excluded_ids == (2,)
    assert [line.item_id for line in r.lines] == [1]
    assert r.overdue_total == 300.0
    r = run(items, history=(2, ago(30)), excluded_ids=[1, 2])
    assert (r.moved, r.reset, r.level) == (False, False, 2)
    assert r.reason == dunning.REASON_ALL_EXCLUDED


def test_reset_when_nothing_is_overdue_any_more():
    paid = [item(1, 90, 0.004), item(2, -10, 500.0)]  # paid, and not yet due
    r = run(paid, history=(3, ago(5)))
    assert (r.reset, r.level, r.moved, r.credit_hold) == (True, 0, False, False)
    assert r.key == dunning.idempotency_key("C1", 0, RUN)
    r = run(paid)
    assert (r.reset, r.reason) == (False, dunning.REASON_NOTHING_OVERDUE)


def test_top_level_stays_and_keeps_hold():
    r = run([item(1, 200, 1000.0)], history=(3, ago(60)))
    assert (r.moved, r.level, r.reason, r.credit_hold) == (
        False,
        3,
        dunning.REASON_TOP_LEVEL,
        True,
    )
    assert r.fee_amount == 0.0 and r.interest_total == 0.0


def test_history_level_missing_from_policy_keeps_place():
    policy = dunning.Policy((dunning.Level(1, 10), dunning.Level(3, 60)))
    r = run([item(1, 90, 100.0)], history=(2, ago(70)), policy=policy)
    assert r.level == 3


def test_interest_per_item_and_minimum():
    items = [
        item(1, 90, 1000.0),
        item(2, 60, 500.0, interest_from=ago(20)),  # 40 days already charged
    ]
    r = run(items, history=(2, ago(40)))
    assert r.level == 3
    lines = {line.item_id: line for line in r.lines}
    # 1000 * 10 % * 90 / 360 and 500 * 10 % * 20 / 360
    assert (lines[1].interest_days, lines[1].interest) == (90, 25.0)
    assert (lines[2].interest_days, lines[2].interest) == (20, 2.78)
    assert r.interest_total == 27.78
    assert r.total_due == pytest.approx(1500.0 + 27.78)
    # 10 * 10 % * 90 / 360 = 0.25, under the 1.00 minimum
    r = run([item(1, 90, 10.0)], history=(2, ago(40)))
    assert r.moved and r.interest_total == 0.0
    assert [line.interest for line in r.lines] == [0.0]
    assert r.lines[0].interest_days == 90


def test_interest_after_grace_and_basis():
    level = dunning.Level(
        1, 10, grace_days=5, interest_rate=12.0, interest_after_grace=True
    )
    policy = dunning.Policy((level,))
    r = run([item(1, 35, 3650.0)], policy=policy)
    # interest from due date + 5 days: 30 days of 3650 at 12 % on 365 days
    assert r.lines[0].interest_days == 30
    assert r.lines[0].interest == 36.0


def test_lines_oldest_first_and_rounded():
    r = run([item("b", 20, 10.005), item("a", 50, 20.0), item("c", 30, 5.0)])
    assert [line.item_id for line in r.lines] == ["a", "c", "b"]
    assert [line.days_overdue for line in r.lines] == [50, 30, 20]
    assert r.lines[2].residual == 10.01  # half-up
    assert r.overdue_total == 35.01


def test_idempotency_key_same_day():
    items = [item(1, 40, 300.0)]
    first = run(items, history=(1, ago(30)))
    again = run(items, history=(1, ago(30)))
    assert first.moved and first.key == again.key
    assert first.key == dunning.idempotency_key("C1", 2, RUN)
    # the first run was recorded: the same day, nothing moves, same key
    recorded = run(items, history=(first.level, RUN))
    assert not recorded.moved and recorded.reason == dunning.REASON_ALREADY_RUN
    assert recorded.key == first.key
    # the next day is a different key
    other = dunning.evaluate(
        make_policy(), "C1", items, RUN + timedelta(1), (1, ago(30))
    )
    assert other.key != first.key


def test_same_day_never_moves_twice_even_with_skip():
    items = [item(1, 200, 1000.0)]
    r = run(items, history=(1, RUN), policy=make_policy(skip=True))
    assert not r.moved and r.level == 1


def test_currency_mismatch_is_an_error():
    policy = make_policy(currency="EUR")
    assert run([item(1, 20, 100.0, currency="EUR")], policy=policy).moved
    with pytest.raises(ValueError, match="USD"):
        run([item(1, 20, 100.0, currency="USD")], policy=policy)


def test_rounding_of_the_policy_is_used():
    policy = make_policy(rounding=0.05)
    r = run([item(1, 20, 100.02), item(2, 20, 100.03)], policy=policy)
    assert [line.residual for line in r.lines] == [100.0, 100.05]
    assert r.overdue_total == 200.05


def _random_rows(count, customers, seed):
    rng = random.Random(seed)
    return [
        (
            rng.randrange(customers),
            i,
            ago(rng.randrange(-30, 200)),
            round(rng.uniform(-50.0, 5000.0), 2),
        )
        for i in range(count)
    ]


def test_evaluate_many_matches_evaluate():
    rows = _random_rows(3000, 200, seed=3)
    histories = {c: (c % 4, ago(c % 50 + 1)) for c in range(0, 260, 2)}
    excluded = {i for i in range(0, 3000, 17)}
    credits = {5: 1000.0, 6: 20.0}
    policy = make_policy(skip=True)
    results = dunning.evaluate_many(policy, rows, RUN, histories, excluded, credits)
    for customer in {r[0] for r in rows}:
        items = [r[1:] for r in rows if r[0] == customer]
        expected = dunning.evaluate(
            policy,
            customer,
            items,
            RUN,
            histories.get(customer),
            excluded,
            credits.get(customer, 0.0),
        )
        assert results[customer] == expected
    # customers known only from their history (level > 0) are reset
    only_history = {c for c, h in histories.items() if h[0]} - {r[0] for r in rows}
    assert only_history
    for customer in only_history:
        assert results[customer].reset and results[customer].level == 0
    assert not set(results) - {r[0] for r in rows} - only_history
