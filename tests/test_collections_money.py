"""Plain-Python tests of the collections rounding helpers (no Odoo needed)."""

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import load_engine

money = load_engine("otc_collections", "money")


@pytest.mark.parametrize(
    ("value", "rounding", "expected"),
    [
        (2.675, 0.01, 2.68),  # stored as 2.67499999...
        (1.005, 0.01, 1.01),
        (-1.005, 0.01, -1.01),  # halves go away from zero
        (2.5, 1.0, 3.0),  # not banker's rounding
        (0.1 * 3, 0.01, 0.3),
        (1.024, 0.05, 1.0),
        (1.025, 0.05, 1.05),
        (0.125, 0.25, 0.25),
        (1234.5, 10.0, 1230.0),
        (1235.0, 10.0, 1240.0),
    ],
)
def test_round_half_up(value, rounding, expected):
    assert money.round_amount(value, rounding) == expected


def test_no_negative_zero():
    assert str(money.round_amount(-0.004)) == "0.0"


def test_matches_decimal_half_up():
    rng = random.Random(11)
    for _ in range(20_000):
        value = round(rng.uniform(-1e6, 1e6), rng.choice([2, 3, 4]))
        expected = float(Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))
        assert money.round_amount(value, 0.01) == expected, value


def test_compare_and_is_zero():
    assert money.is_zero(0.004) and not money.is_zero(0.005)
    assert money.compare(10.001, 10.0) == 0
    assert money.compare(10.01, 10.0) == 1
    assert money.compare(9.99, 10.0) == -1


def test_bad_rounding():
    with pytest.raises(ValueError, match="positive"):
        money.round_amount(1.0, 0)
    assert money.decimals(0.05) == 2 and money.decimals(1.0) == 0
