"""Plain-Python tests of the reading plan of the monthly summary (``engine/summary.py``)."""

import random
from datetime import date, timedelta

from conftest import load_engine

summary = load_engine("otc_collections", "summary")


def _sides_of(date_from, date_to, cuts):
    """The reader's sides: the window split after each cut inside it."""
    bounds = sorted(c for c in cuts if date_from <= c < date_to)
    sides, start = [], date_from
    for cut in bounds:
        sides.append((start, cut))
        start = cut + timedelta(days=1)
    sides.append((start, date_to))
    return sides


def _per_side(plan, daily, summarised, sides):
    """What a reader sums per side when it follows ``plan``."""
    totals = dict.fromkeys(sides, 0.0)

    def add(day, amount):
        for side in sides:
            if side[0] <= day <= side[1]:
                totals[side] += amount
                return
        raise AssertionError(f"{day} counted outside the window")

    for month, day in plan.months:
        last = summarised[month]
        add(
            day,
            sum(
                daily.get(month + timedelta(days=i), 0.0)
                for i in range((last - month).days + 1)
            ),
        )
    for piece in plan.ledger:
        for i in range(piece.days):
            own = piece.start + timedelta(days=i)
            add(piece.day or own, piece.sign * daily.get(own, 0.0))
    return totals


def _truth(daily, sides):
    return {
        side: sum(amount for day, amount in daily.items() if side[0] <= day <= side[1])
        for side in sides
    }


def test_whole_summarised_months_read_nothing_from_the_ledger():
    summarised = {
        date(2026, 7, 1): date(2026, 7, 31),
        date(2026, 8, 1): date(2026, 8, 31),
    }
    plan = summary.plan(date(2026, 7, 1), date(2026, 8, 31), summarised)
    assert plan.months == (
        (date(2026, 7, 1), date(2026, 7, 1)),
        (date(2026, 8, 1), date(2026, 8, 1)),
    )
    assert plan.ledger == ()


def test_open_month_summarised_to_yesterday_reads_today():
    plan = summary.plan(
        date(2026, 11, 1),
        date(2026, 11, 28),
        {date(2026, 11, 1): date(2026, 11, 27)},
    )
    assert plan.months == ((date(2026, 11, 1), date(2026, 11, 1)),)
    assert plan.ledger == (summary.Piece(date(2026, 11, 28), date(2026, 11, 28)),)


def test_month_cut_near_its_end_reads_the_short_side_twice():
    # the previous period ends on 27 August: August's large side (1-27) is
    # the summary minus 28-31, which are also read on their own dates
    plan = summary.plan(
        date(2026, 8, 1),
        date(2026, 8, 31),
        {date(2026, 8, 1): date(2026, 8, 31)},
        cuts=(date(2026, 8, 27),),
    )
    assert plan.months == ((date(2026, 8, 1), date(2026, 8, 1)),)
    assert set(plan.ledger) == {
        summary.Piece(date(2026, 8, 28), date(2026, 8, 31), -1, date(2026, 8, 1)),
        summary.Piece(date(2026, 8, 28), date(2026, 8, 31)),
    }
    assert plan.ledger_days == 8


def test_few_days_of_a_month_are_read_directly():
    plan = summary.plan(
        date(2026, 5, 29),
        date(2026, 6, 30),
        {date(2026, 5, 1): date(2026, 5, 31), date(2026, 6, 1): date(2026, 6, 30)},
    )
    assert plan.months == ((date(2026, 6, 1), date(2026, 6, 1)),)
    assert plan.ledger == (summary.Piece(date(2026, 5, 29), date(2026, 5, 31)),)


def test_month_not_summarised_is_read_from_the_ledger():
    plan = summary.plan(date(2026, 3, 1), date(2026, 4, 30), {})
    assert plan.months == ()
    assert plan.ledger == (summary.Piece(date(2026, 3, 1), date(2026, 4, 30)),)


def test_every_side_sums_as_the_ledger_on_random_windows():
    rng = random.Random(7)
    for _ in range(2000):
        date_from = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
        date_to = date_from + timedelta(days=rng.randrange(200))
        daily = {
            date_from - timedelta(days=40) + timedelta(days=i): rng.choice(
                [0.0, 0.0, rng.uniform(-50, 500)]
            )
            for i in range((date_to - date_from).days + 80)
        }
        summarised = {}
        first = date_from.replace(day=1)
        while first <= date_to:
            end = summary.month_end(first)
            roll = rng.random()
            if roll < 0.6:
                summarised[first] = end
            elif roll < 0.8:  # an open month, summarised to a day in it
                summarised[first] = first + timedelta(
                    days=rng.randrange((end - first).days + 1)
                )
            first = end + timedelta(days=1)
        cuts = [
            date_from + timedelta(days=rng.randrange((date_to - date_from).days + 1))
            for _ in range(rng.randrange(4))
        ]
        plan = summary.plan(date_from, date_to, summarised, cuts)
        sides = _sides_of(date_from, date_to, cuts)
        got = _per_side(plan, daily, summarised, sides)
        truth = _truth(daily, sides)
        for side in sides:
            assert abs(got[side] - truth[side]) < 1e-6, (date_from, date_to, cuts)
        # and never more read from the ledger than reading it all
        assert plan.ledger_days <= (date_to - date_from).days + 1


def test_sum_days_adds_months_and_signed_pieces():
    daily = {date(2026, 8, d): float(d) for d in range(1, 32)}
    summarised = {date(2026, 8, 1): date(2026, 8, 31)}
    plan = summary.plan(
        date(2026, 8, 1), date(2026, 8, 31), summarised, cuts=(date(2026, 8, 27),)
    )
    monthly = {date(2026, 8, 1): sum(daily.values())}
    assert summary.sum_days(plan, monthly, daily) == sum(daily.values())


def test_ranges_reads_each_day_once():
    plan = summary.plan(
        date(2026, 8, 1),
        date(2026, 9, 3),
        {date(2026, 8, 1): date(2026, 8, 31)},
        cuts=(date(2026, 8, 27),),
    )
    # 28-31 August taken off and read on their own: once; September's days
    # follow them
    assert summary.ranges(plan) == [(date(2026, 8, 28), date(2026, 9, 3))]
