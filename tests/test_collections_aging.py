"""Plain-Python tests of the collections aging and statement engine."""

from datetime import date, timedelta

import pytest

from conftest import load_engine

aging = load_engine("otc_collections", "aging")

AS_OF = date(2025, 6, 30)


def ago(days):
    return AS_OF - timedelta(days=days)


def test_default_buckets():
    labels = [b.label for b in aging.buckets()]
    assert labels == ["Current", "1-30", "31-60", "61-90", "Over 90"]
    first, *_, last = aging.buckets()
    assert (first.low, first.high) == (None, 0)
    assert (last.low, last.high) == (91, None)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("0,30,60,90", (0, 30, 60, 90)), (" 15 , 45 ", (15, 45)), ([0, 7], (0, 7))],
)
def test_parse_buckets(spec, expected):
    assert aging.parse_buckets(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ([], "empty"),
        ("0,-30,60", r"#2 \(-30\) is negative"),
        ("0,60,30", r"must increase: bound #3 \(30\) comes after 60"),
        ("0,30,30", "30 appears twice"),
        ("0,,30", "#2 is empty"),
        ("0,30,", "#3 is empty"),
        ("0,thirty", r"#2 \('thirty'\) is not a whole number"),
        ("0,30.5", "not a whole number"),
        ([0, 30.5], "not a whole number"),
    ],
)
def test_parse_buckets_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        aging.parse_buckets(spec)


def test_first_bucket_without_zero_takes_current_items():
    assert [b.label for b in aging.buckets("30,60")] == ["Up to 30", "31-60", "Over 60"]
    report = aging.age_items([(1, ago(-10), 5.0), (2, ago(30), 7.0)], AS_OF, "30,60")
    assert report.totals == (12.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-5, 0), (0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4)],
)
def test_bucket_boundaries(days, bucket):
    report = aging.age_items([(1, ago(days), 10.0)], AS_OF)
    assert report.items[0].bucket == bucket
    assert report.items[0].days_overdue == days
    assert report.totals[bucket] == 10.0
    assert sum(report.totals) == 10.0


def test_totals_per_bucket_add_up():
    items = [
        (1, ago(-3), 100.0),
        (2, ago(10), 0.105),
        (3, ago(20), 0.105),
        (4, ago(45), 250.0),
        (5, ago(45), -50.0),  # unapplied credit
        (6, ago(200), 1000.0),
    ]
    report = aging.age_items(items, AS_OF)
    assert report.totals == (100.0, 0.22, 200.0, 0.0, 1000.0)
    assert report.total == 1300.22
    assert report.by_label()["31-60"] == 200.0


def statement_moves():
    return [
        (date(2025, 4, 20), "invoice", "INV/1", 1000.0),
        (date(2025, 4, 25), "payment", "PAY/1", -400.0),
        # same day, payment given first: the invoice still comes first
        (date(2025, 5, 10), "payment", "PAY/2", -600.0),
        (date(2025, 5, 10), "invoice", "INV/2", 500.0),
        (date(2025, 5, 3), "credit_note", "RINV/1", -50.0),
        (date(2025, 5, 31), "invoice", "INV/3", 200.0),
        (date(2025, 6, 2), "invoice", "INV/4", 999.0),  # after the period
    ]


def test_statement_balances_and_order():
    st = aging.build_statement(
        date(2025, 5, 1),
        date(2025, 5, 31),
        statement_moves(),
        open_items=[
            ("INV/2", date(2025, 6, 9), 450.0),
            ("INV/3", date(2025, 6, 30), 200.0),
        ],
    )
    assert st.opening_balance == 600.0
    assert [line.reference for line in st.lines] == [
        "RINV/1",
        "INV/2",
        "PAY/2",
        "INV/3",
    ]
    assert [line.balance for line in st.lines] == [550.0, 1050.0, 450.0, 650.0]
    assert st.closing_balance == 650.0
    assert st.closing_balance == st.opening_balance + sum(x.amount for x in st.lines)
    assert (st.lines[0].debit, st.lines[0].credit) == (0.0, 50.0)
    assert st.aging.as_of == date(2025, 5, 31)
    assert st.aging.total == 650.0 and st.reconciles


def test_statement_reports_open_items_difference():
    st = aging.build_statement(
        date(2025, 5, 1),
        date(2025, 5, 31),
        statement_moves(),
        open_items=[("INV/3", date(2025, 6, 30), 200.0)],
    )
    assert st.open_items_difference == 450.0 and not st.reconciles


def test_statement_rounds_each_move():
    moves = [(date(2025, 5, d), "invoice", f"I{d}", 0.105) for d in (1, 2, 3)]
    st = aging.build_statement(date(2025, 5, 1), date(2025, 5, 31), moves)
    assert [line.amount for line in st.lines] == [0.11, 0.11, 0.11]
    assert st.closing_balance == 0.33


def test_statement_errors():
    with pytest.raises(ValueError, match="before it starts"):
        aging.build_statement(date(2025, 5, 31), date(2025, 5, 1), [])
    with pytest.raises(ValueError, match="unknown type 'refund'"):
        aging.build_statement(
            date(2025, 5, 1), date(2025, 5, 31), [(date(2025, 5, 2), "refund", "X", 1)]
        )


def test_empty_statement():
    st = aging.build_statement(date(2025, 5, 1), date(2025, 5, 31), [])
    assert (st.opening_balance, st.closing_balance, st.lines) == (0.0, 0.0, ())
    assert st.aging.totals == (0.0,) * 5
