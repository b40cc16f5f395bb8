"""Bounded subset-sum of the matcher (no Odoo needed)."""

import random

from conftest import load_engine

subset = load_engine("otc_order_to_cash", "subset")


def test_finds_the_combination():
    values = [1000, 2550, 399, 7001, 1234, 5000]
    res = subset.find_subset(2550 + 7001 + 399, values)
    assert res.exact and sorted(values[i] for i in res.indices) == [399, 2550, 7001]


def test_prefers_fewest_then_oldest_items():
    values = [100, 200, 300, 600]
    res = subset.find_subset(600, values)
    assert res.indices == (3,)  # one item beats three
    res = subset.find_subset(300, [100, 200, 300, 100, 200])
    assert res.indices == (2,)
    res = subset.find_subset(300, [100, 200, 150, 150])
    assert res.indices == (0, 1)  # oldest of the two pairs
    assert res.solutions == 2


def test_deterministic():
    rng = random.Random(3)
    values = [rng.randint(100, 100000) for _ in range(24)]
    target = values[2] + values[9] + values[17]
    first = subset.find_subset(target, values)
    assert all(subset.find_subset(target, values) == first for _ in range(5))
    assert sum(values[i] for i in first.indices) == target


def test_no_solution_and_caps():
    assert subset.find_subset(12345, [100, 200, 300]) is None
    values = [100] * 10
    assert subset.find_subset(700, values, max_size=5) is None
    assert subset.find_subset(500, values, max_size=5).exact
    res = subset.find_subset(1000, list(range(1, 40)), max_size=5, budget=50)
    assert res is None or not res.complete


def test_tolerance_for_bank_fees():
    res = subset.find_subset(995, [500, 503, 250], tolerance=10)
    assert not res.exact and res.total == 1003
    assert subset.find_subset(995, [500, 503], tolerance=0) is None
